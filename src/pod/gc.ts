// gc: collects pods, as rkt did in two passes: an exited pod is first marked
// garbage, and removed once it has been garbage for the grace period (so that
// its status stays readable for a while). Prepared pods that were never run
// expire too, and directories of prepares that crashed are removed at once.
import fs from 'node:fs/promises';
import { unregisterPod } from '../metadata/register.js';
import type { PodContext } from './context.js';
import { listPodDirs, newPodDir, podDir, podPaths, podsLockFile } from './dir.js';
import { lockFile, withLock } from './lock.js';
import type { PodImages } from './prepare.js';
import { destroyPodDir, removePod } from './rm.js';
import { now, readState, writeState } from './state.js';
import { podStatus } from './status.js';

export interface GcOptions {
  gracePeriodMs: number;
  expirePreparedMs: number;
  markOnly: boolean;
}

export interface GcResult {
  marked: string[];
  removed: string[];
}

export async function collectPods(ctx: PodContext, images: Pick<PodImages, 'release'>, opts: GcOptions): Promise<GcResult> {
  const result: GcResult = { marked: [], removed: [] };
  const { pods } = await listPodDirs(ctx.stateDir);
  const at = Date.now();
  for (const uuid of pods) {
    const status = await podStatus(ctx, uuid).catch(() => undefined);
    if (!status) continue; // removed meanwhile, or not a pod
    if (status.state === 'exited') {
      if (await markGarbage(ctx, uuid)) result.marked.push(uuid);
      if (opts.markOnly || opts.gracePeriodMs > 0) continue;
    } else if (status.state === 'prepared') {
      if (opts.markOnly || at - Date.parse(status.created) < opts.expirePreparedMs) continue;
    } else if (status.state === 'garbage') {
      const since = (await readState(podPaths(podDir(ctx.stateDir, uuid)).state)).garbageSince;
      if (opts.markOnly || (since && at - Date.parse(since) < opts.gracePeriodMs)) continue;
    } else continue;
    const removed = await removePod(ctx, uuid, images).then(() => true, () => false);
    if (removed) result.removed.push(uuid);
  }
  if (!opts.markOnly) result.removed.push(...(await collectUnfinished(ctx, images)));
  return result;
}

async function markGarbage(ctx: PodContext, uuid: string): Promise<boolean> {
  const paths = podPaths(podDir(ctx.stateDir, uuid));
  const lock = await lockFile(paths.lock, { wait: false });
  if (!lock) return false;
  try {
    const state = await readState(paths.state);
    if (state.state !== 'exited') return false;
    await writeState(paths.state, { ...state, state: 'garbage', garbageSince: now() });
    return true;
  } finally {
    await lock.release();
  }
}

/** pods/.new-<uuid> whose maker died (its lock is free). Under the pods lock, which prepare holds while it makes one. */
async function collectUnfinished(ctx: PodContext, images: Pick<PodImages, 'release'>): Promise<string[]> {
  // Nothing to collect (a fresh state directory has no pods/ and so no lock file): a prepare
  // that starts after this look holds its own lock and is not collected anyway.
  if (!(await listPodDirs(ctx.stateDir)).unfinished.length) return [];
  return withLock(podsLockFile(ctx.stateDir), async () => {
    const removed: string[] = [];
    for (const uuid of (await listPodDirs(ctx.stateDir)).unfinished) {
      const dir = newPodDir(ctx.stateDir, uuid);
      const lock = await lockFile(podPaths(dir).lock, { wait: false }).catch(() => undefined);
      if (!lock) continue;
      try {
        // References are taken after the manifest is written: no manifest, no references.
        const manifest = await fs.readFile(podPaths(dir).manifest, 'utf8').then((t) => JSON.parse(t) as { apps: { image: { id: string } }[] }, () => undefined);
        if (manifest) await images.release(manifest.apps.map((a) => a.image.id), uuid);
        await unregisterPod(ctx.stateDir, uuid, { podDir: dir });
        await destroyPodDir(dir);
        removed.push(uuid);
      } finally {
        await lock.release();
      }
    }
    return removed;
  });
}
