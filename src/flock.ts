// flock(2) through the addon src/flock.c (dist/native/flock.node), loaded
// on first use (a native addon cannot be in the start-up snapshot). This
// module sits two levels below the app's root in dist/ (dist/src/), as the
// bundle's chunks do (dist/chunks/), so the path below holds in tsc's
// output, the bundle and the snapshot.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

interface FlockAddon {
  /** flock(fd, LOCK_EX or LOCK_SH | LOCK_NB): 0, or the errno. */
  tryLock(fd: number, shared: boolean): number;
}

let addon: FlockAddon | undefined;
/** The addon; its path is computed when first used, never kept in the snapshot (src/cli/snapshot-app.ts). */
export const flock = (): FlockAddon =>
  (addon ??= createRequire(import.meta.url)(fileURLToPath(new URL('../../dist/native/flock.node', import.meta.url))) as FlockAddon);
