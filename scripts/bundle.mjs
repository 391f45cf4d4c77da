// Bundles the CLI after tsc (npm run build): dist/src/cli/main.js becomes one
// file with what every command needs (commander, the program, the flags),
// and each command's `await import(...)` of the library becomes a chunk in
// dist/chunks/, loaded only by the commands that use it. Node then resolves,
// reads and compiles a few files instead of hundreds (docs/performance.md).
// The rest of dist/ (tests, benchmarks) stays tsc's output.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

// zod's `locales` namespace holds every language's error messages (half of
// zod's code in the bundle, compiled on every start that loads zod);
// sprocket speaks English only (the default locale, which zod imports
// from locales/en.js directly), so the namespace keeps English alone.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`)
        ? { path: path.join(path.dirname(args.importer), '../locales/en.js'), namespace: 'zod-locales' }
        : undefined);
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
    }));
  },
};

const result = await build({
  entryPoints: [{ in: 'src/cli/main.ts', out: 'src/cli/main' }],
  outdir: 'dist',
  // dist/chunks/ is as deep below the root as dist/src/ and dist/stage1-nspawn/:
  // paths relative to import.meta.url (stage1-nspawn/scripts) hold in both.
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons stay in node_modules (systemd-journald is loaded by
  // createRequire; usocket is dbus-next's optional socket addon, x11 the
  // optional module of its X11 bus address lookup).
  external: ['systemd-journald', 'usocket', 'x11'],
  // Bundled CommonJS modules (commander, dbus-next) call require().
  banner: { js: "import { createRequire as __sprocketRequire } from 'node:module'; const require = __sprocketRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  plugins: [zodEnglishOnly],
});

// Chunk names carry a hash of their content: drop those of earlier builds
// (packaging/install-tree ships dist/chunks/ whole).
const current = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(f)));
for (const name of readdirSync('dist/chunks')) {
  const file = path.resolve('dist/chunks', name);
  if (!current.has(file)) rmSync(file, { force: true });
}
