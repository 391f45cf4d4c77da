// Where a pod lives: DIR/pods/<uuid>/. A pod is made in DIR/pods/.new-<uuid>
// and renamed into place once complete, so a directory named by a UUID is
// always a whole pod (see docs/pods.md).
import fs from 'node:fs/promises';
import path from 'node:path';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const NEW_PREFIX = '.new-';

export const isPodUuid = (s: string) => UUID.test(s);
export const podsDir = (stateDir: string) => path.join(stateDir, 'pods');
/** Held while pods are created, named or collected (store-wide). */
export const podsLockFile = (stateDir: string) => path.join(podsDir(stateDir), '.lock');

export function podPaths(dir: string) {
  return {
    dir,
    /** The reified pod manifest. */
    manifest: path.join(dir, 'pod'),
    plan: path.join(dir, 'plan.json'),
    state: path.join(dir, 'state'),
    lock: path.join(dir, 'lock'),
    /** Held (shared) by every foreground run attached to the pod: rm and gc leave the pod alone meanwhile. */
    attached: path.join(dir, 'attached'),
    stage1: path.join(dir, 'stage1'),
    apps: path.join(dir, 'apps'),
    volumes: path.join(dir, 'volumes'),
    status: path.join(dir, 'status'),
    podExit: path.join(dir, 'pod-exit'),
  };
}
export type PodPaths = ReturnType<typeof podPaths>;

export const podDir = (stateDir: string, uuid: string) => path.join(podsDir(stateDir), uuid);
export const newPodDir = (stateDir: string, uuid: string) => path.join(podsDir(stateDir), NEW_PREFIX + uuid);

/** UUIDs of the complete pods, and the UUIDs of pods still being made. */
export async function listPodDirs(stateDir: string): Promise<{ pods: string[]; unfinished: string[] }> {
  let names: string[];
  try {
    names = await fs.readdir(podsDir(stateDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { pods: [], unfinished: [] };
    throw e;
  }
  return {
    pods: names.filter(isPodUuid).sort(),
    unfinished: names.filter((n) => n.startsWith(NEW_PREFIX) && isPodUuid(n.slice(NEW_PREFIX.length))).map((n) => n.slice(NEW_PREFIX.length)),
  };
}
