// Where the app's files are, for the start-up snapshot's bundle only
// (src/cli/snapshot.ts, scripts/bundle.mjs). The snapshot is made on the
// build machine and restored wherever the package is installed, so a path
// must be computed when it is used, never kept from the build: the bundle
// replaces `import.meta.url` of each module by appFileUrl(the module's file
// under dist/ as tsc writes it), and the packages that are not in the
// snapshot (native addons, the big libraries of rare commands) by
// appRequire(name).
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// While the snapshot is made, node runs its script, argv[1]: the app's root
// (package.json) is two levels above dist/snapshot/sprocket.cjs. (Loaded
// before program.ts, which reads package.json as it loads.)
let root = path.resolve(path.dirname(process.argv[1] ?? '.'), '../..');
let load: NodeRequire | undefined;

/** The snapshot was restored to run the app whose entry is `entry` (APP/dist/src/cli/main.js): paths are below APP now, and appRequire loads from there. */
export function restoredFor(entry: string): void {
  root = path.resolve(path.dirname(entry), '../../..');
  load = createRequire(path.join(root, 'package.json'));
}

/** The file: URL of `rel` below the app's root. */
export function appFileUrl(rel: string): string {
  return pathToFileURL(path.join(root, rel)).href;
}

/**
 * require() of a package in the app's node_modules. Not while the snapshot
 * is made (a package loaded then would be in every start's heap, and a
 * native addon cannot be).
 */
export function appRequire(name: string): unknown {
  if (!load) throw new Error(`${name} is loaded at run time only (scripts/bundle.mjs), not while the snapshot is made`);
  return load(name);
}
