// Where a pod lives: DIR/pods/<uuid>/. A pod is made in DIR/pods/.new-<uuid>
// and renamed into place once complete, so a directory named by a UUID is
// always a whole pod (see docs/pods.md).
import fs from 'node:fs/promises';
import path from 'node:path';
import { isUuid } from '../spec/patterns.js';

export const NEW_PREFIX = '.new-';
/** A pod directory being deleted (renamed out of sight first, see rm.ts). */
export const REMOVING_PREFIX = '.rm-';

export const podsDir = (stateDir: string) => path.join(stateDir, 'pods');
/** Held while pods are created, named or collected (store-wide). */
export const podsLockFile = (stateDir: string) => path.join(podsDir(stateDir), '.lock');

/** pods/<uuid>/stop-requested: a stop of the pod was asked of its unit (docs/stage1.md, "Exit semantics"). */
export const STOP_REQUEST_FILE = 'stop-requested';
// Files of status/ that are no app's record (app names have no dot), written by the pod's stage1 scripts.
/** status/apps.ended: the last app ended with success and ended the pod (stage1-nspawn/scripts/app-stopped). */
export const APPS_ENDED_FILE = 'apps.ended';
/** status/app-log.service: the log copier's ends that no stop asked for (stage1-nspawn/scripts/app-log-stopped). */
export const COPIER_RECORD_FILE = 'app-log.service';

export function podPaths(dir: string) {
  // One normalization instead of one path.join per file: list calls this for every pod.
  const base = path.join(dir, '/');
  const at = (name: string) => base + name;
  return {
    dir,
    /** The reified pod manifest. */
    manifest: at('pod'),
    plan: at('plan.json'),
    state: at('state'),
    lock: at('lock'),
    /** Held (shared) by every foreground run attached to the pod: rm and gc leave the pod alone meanwhile. */
    attached: at('attached'),
    stage1: at('stage1'),
    apps: at('apps'),
    volumes: at('volumes'),
    status: at('status'),
    podExit: at('pod-exit'),
    appsEnded: at(`status/${APPS_ENDED_FILE}`),
    copierRecord: at(`status/${COPIER_RECORD_FILE}`),
    /** Made by the pod's unit as a stop of it begins, before nspawn is asked to stop the pod (stage1-nspawn/exit-record.ts). */
    stopRequested: at(STOP_REQUEST_FILE),
  };
}
export type PodPaths = ReturnType<typeof podPaths>;

export const podDir = (stateDir: string, uuid: string) => path.join(podsDir(stateDir), uuid);
export const newPodDir = (stateDir: string, uuid: string) => path.join(podsDir(stateDir), NEW_PREFIX + uuid);
export const removingDir = (dir: string) => (path.basename(dir).startsWith(REMOVING_PREFIX) ? dir : path.join(path.dirname(dir), REMOVING_PREFIX + path.basename(dir)));

/** UUIDs of the complete pods, the UUIDs of pods still being made, and the names of directories being deleted. */
export async function listPodDirs(stateDir: string): Promise<{ pods: string[]; unfinished: string[]; removing: string[] }> {
  let names: string[];
  try {
    names = await fs.readdir(podsDir(stateDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { pods: [], unfinished: [], removing: [] };
    throw e;
  }
  return {
    pods: names.filter(isUuid).sort(),
    unfinished: names.filter((n) => n.startsWith(NEW_PREFIX) && isUuid(n.slice(NEW_PREFIX.length))).map((n) => n.slice(NEW_PREFIX.length)),
    removing: names.filter((n) => n.startsWith(REMOVING_PREFIX)),
  };
}
