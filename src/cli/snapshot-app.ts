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

/**
 * A package that dbus-next requires as it loads but whose code sprocket never
 * reaches, as an object that requires the real one when a member is first
 * read: jsbi (64-bit integers for Node without BigInt, dbus-next's compat
 * mode). Out of the snapshot, it is not in every start's heap.
 */
export function onDemand(name: string): object {
  return new Proxy({}, { get: (_, key) => (appRequire(name) as Record<string | symbol, unknown>)[key] });
}

type Xml2js = {
  Builder: new (options?: object) => { buildObject(root: unknown): string };
  Parser: new (options?: object) => { parseString(xml: string, done: (err: unknown, result: unknown) => void): void };
};
const xml2js = () => appRequire('xml2js') as Xml2js;
/**
 * xml2js as dbus-next uses it, for introspection, which sprocket neither
 * serves nor reads: a Builder made with every bus, a Parser with every proxy
 * object. The real package (with xmlbuilder and sax, about 170 KB of code)
 * is required when one is first used, not kept in every start's heap.
 */
export const xml2jsOnDemand: Xml2js = {
  Builder: class {
    constructor(private readonly options?: object) {}
    buildObject(root: unknown): string {
      return new (xml2js().Builder)(this.options).buildObject(root);
    }
  },
  Parser: class {
    constructor(private readonly options?: object) {}
    parseString(xml: string, done: (err: unknown, result: unknown) => void): void {
      new (xml2js().Parser)(this.options).parseString(xml, done);
    }
  },
};
