// Bundles the CLI after tsc (npm run build): dist/src/cli/main.js becomes one
// file with what every command needs (commander, the program, the flags),
// and each command's `await import(...)` of the library becomes a chunk in
// dist/chunks/, loaded only by the commands that use it. Node then resolves,
// reads and compiles a few files instead of hundreds (docs/performance.md).
// The rest of dist/ (tests, benchmarks) stays tsc's output.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
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

// sprocket's modules `import { z } from 'zod'`: z is then zod's namespace
// object, which keeps every export of zod in the bundle (each behind a
// getter), used or not. Bundled as a namespace import of zod's classic API
// instead, each `z.string` is a plain reference and what no module uses is
// left out: 150 KB less script, and in the start-up snapshot 400 KB less
// blob and 10,000 fewer objects restored on every start (docs/performance.md).
const zodClassic = path.resolve('node_modules/zod/v4/classic/external.js');
const zodDirect = (source) => source.replaceAll("import { z } from 'zod';", `import * as z from ${JSON.stringify(zodClassic)};`);
/** sprocket's own modules (TypeScript outside node_modules), as `rewrite` makes them. */
const ownSources = (rewrite) => (b) => b.onLoad({ filter: /\.ts$/ }, (args) => {
  if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
  return { contents: rewrite(readFileSync(args.path, 'utf8'), args.path), loader: 'ts' };
});

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
  plugins: [{ name: 'zod-direct', setup: ownSources(zodDirect) }, zodEnglishOnly],
});

// Chunk names carry a hash of their content: drop those of earlier builds
// (packaging/install-tree ships dist/chunks/ whole).
const current = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(f)));
for (const name of readdirSync('dist/chunks')) {
  const file = path.resolve('dist/chunks', name);
  if (!current.has(file)) rmSync(file, { force: true });
}

// The start-up snapshot (src/cli/snapshot.ts): one CommonJS script (a
// snapshot cannot import, and a dynamic import() of a bundled module becomes
// a plain call), dist/snapshot/sprocket.cjs, which the package ships;
// packaging/make-snapshot runs `node --build-snapshot` on it into
// DIR/sprocket-NODEVERSION.blob, which only that node can restore
// (packaging/sprocket.sh picks it when it matches, else runs
// dist/src/cli/main.js).
const appFiles = path.resolve('src/cli/snapshot-app.ts');
// The packages the snapshot leaves out, required from node_modules when first
// used: native addons (they cannot be in a snapshot), and openpgp and
// tar-stream (about 900 KB of code that only fetch, trust and image
// import/export use: each start would restore them).
const atRunTime = ['systemd-journald', 'usocket', 'x11', 'openpgp', 'tar-stream'];
const snapshotPaths = {
  name: 'snapshot-paths',
  setup(b) {
    // import.meta.url: the module's URL as tsc lays dist/ out, below the
    // installed app (src/cli/snapshot-app.ts).
    ownSources((source, file) => {
      const direct = zodDirect(source);
      if (!direct.includes('import.meta.url')) return direct;
      const rel = path.join('dist', path.relative(process.cwd(), file)).replace(/\.ts$/, '.js');
      return `import { appFileUrl as __appFileUrl } from ${JSON.stringify(appFiles)};\n${direct.replaceAll('import.meta.url', `__appFileUrl(${JSON.stringify(rel)})`)}`;
    })(b);
    // `import path from 'node:path'` in a CommonJS bundle is a copy of the
    // module's exports, a getter each, made for every module that imports it
    // (some 80: 2,800 objects in the heap). These two, imported so by most
    // modules and holding plain functions only, become one module each that
    // exports its properties.
    b.onResolve({ filter: /^node:(path|fs\/promises)$/ }, (args) => (args.kind === 'import-statement' ? { path: args.path, namespace: 'builtin-esm' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'builtin-esm' }, async (args) => {
      const names = Object.keys(await import(args.path)).filter((k) => k !== 'default');
      return { contents: `const m = require(${JSON.stringify(args.path)});\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`, loader: 'js' };
    });
    b.onResolve({ filter: new RegExp(`^(${atRunTime.join('|')})$`) }, (args) => ({ path: args.path, namespace: 'at-run-time' }));
    // A dynamic import() of a built-in module would stay an import(), which a
    // snapshot cannot run (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING): it becomes
    // a require of it, as every other module's import() is.
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    // What dbus-next requires as it loads but sprocket never uses (xml2js for
    // introspection, jsbi for its BigInt compat mode): required when first used.
    b.onResolve({ filter: /^(xml2js|jsbi)$/ }, (args) => (args.importer.includes(`${path.sep}node_modules${path.sep}dbus-next${path.sep}`) ? { path: args.path, namespace: 'on-demand' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'on-demand' }, (args) => ({
      contents: `const app = require(${JSON.stringify(appFiles)}); module.exports = ${args.path === 'xml2js' ? 'app.xml2jsOnDemand' : `app.onDemand(${JSON.stringify(args.path)})`};`,
      resolveDir: process.cwd(),
      loader: 'js',
    }));
    b.onLoad({ filter: /.*/, namespace: 'at-run-time' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(appFiles)}).appRequire(${JSON.stringify(args.path)});`,
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};
const snapshotScript = 'dist/snapshot/sprocket.cjs';
await build({
  entryPoints: ['src/cli/snapshot.ts'],
  outfile: snapshotScript,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // The script's text is part of the heap every start restores: no comments
  // or blanks (names are kept, for stack traces).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [snapshotPaths, zodEnglishOnly],
});
// What a snapshot cannot run must not reach it (the plugin above turns every
// import() it knows into a require): a command would fail only when used.
const leftImport = /\bimport\(\s*["'`]/.exec(readFileSync(snapshotScript, 'utf8'));
if (leftImport) throw new Error(`${snapshotScript} still holds a dynamic import() at offset ${leftImport.index}: a snapshot cannot run it`);
// The blob, for the node that runs this build (packaging/make-snapshot: the
// package makes its own at install time, for the host's node).
const made = spawnSync('packaging/make-snapshot', [snapshotScript, 'dist/snapshot'], { stdio: 'inherit', env: { ...process.env, SPROCKET_NODE: process.execPath } });
if (made.status !== 0) throw new Error(`packaging/make-snapshot ${snapshotScript} failed (exit ${made.status ?? made.signal})`);
