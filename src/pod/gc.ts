// gc: collects pods, as rkt did in two passes: an exited pod is first marked
// garbage, and removed once it has been garbage for the grace period (so that
// its status stays readable for a while). Prepared pods that were never run
// expire too, and directories of prepares that crashed are removed at once.
import fs from 'node:fs/promises';
import path from 'node:path';
import { notFound, SprocketError } from '../errors.js';
import { killPoint } from '../kill-point.js';
import { unregisterPod } from '../metadata/register.js';
import type { PodContext } from './context.js';
import { listPodDirs, newPodDir, podDir, podPaths, podsDir, podsLockFile } from './dir.js';
import { lockFile, withLock } from './lock.js';
import type { PodImages } from './prepare.js';
import { destroyPodDir, removePod } from './rm.js';
import { now, readState, writeState } from './state.js';
import { podStatus } from './status.js';
import { podMay } from './transitions.js';

export interface GcOptions {
  gracePeriodMs: number;
  expirePreparedMs: number;
  markOnly: boolean;
}

export interface GcResult {
  marked: string[];
  removed: string[];
  /** Pods another sprocket command holds: left for the next run. */
  skipped: { uuid: string; reason: string }[];
  /** Pods that could not be read, marked or removed, with why: gc exits non-zero. */
  failed: { uuid: string; error: unknown }[];
}

export async function collectPods(ctx: PodContext, images: Pick<PodImages, 'release'>, opts: GcOptions): Promise<GcResult> {
  const result: GcResult = { marked: [], removed: [], skipped: [], failed: [] };
  const { pods } = await listPodDirs(ctx.stateDir);
  for (const uuid of pods) {
    try {
      await collectPod(ctx, uuid, images, opts, result);
    } catch (error) {
      if (error instanceof SprocketError && error.kind === 'conflict') result.skipped.push({ uuid, reason: error.message });
      else if (!(error instanceof SprocketError && error.kind === 'not-found')) result.failed.push({ uuid, error }); // not-found: removed meanwhile
    }
  }
  if (!opts.markOnly) await collectUnfinished(ctx, images, result);
  if (!opts.markOnly) await finishRemovals(ctx, result);
  return result;
}

async function collectPod(ctx: PodContext, uuid: string, images: Pick<PodImages, 'release'>, opts: GcOptions, result: GcResult): Promise<void> {
  const at = Date.now();
  const status = await podStatus(ctx, uuid);
  if (!podMay('collect', status.state)) return;
  // An ended pod's network goes at once, whatever the grace period (its unit tore it down, unless it or its CLI was killed).
  if (status.state === 'exited' || status.state === 'garbage') await ctx.net.tearDown(podDir(ctx.stateDir, uuid));
  if (status.state === 'exited') {
    if (await markGarbage(ctx, uuid)) result.marked.push(uuid);
    killPoint('gc:marked');
    if (opts.markOnly || opts.gracePeriodMs > 0) return;
  } else if (status.state === 'prepared') {
    if (opts.markOnly || at - Date.parse(status.created) < opts.expirePreparedMs) return;
  } else {
    const since = (await stateIfThere(podPaths(podDir(ctx.stateDir, uuid)).state)).garbageSince;
    if (opts.markOnly || (since && at - Date.parse(since) < opts.gracePeriodMs)) return;
  }
  await removePod(ctx, uuid, images);
  result.removed.push(uuid);
}

/**
 * The pod's state, read after its status: a pod that another command
 * removed meanwhile (rm, another gc: its lock is free again once it is gone)
 * is not-found, which collectPods passes over, not a failure.
 */
async function stateIfThere(file: string) {
  return readState(file).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'ENOENT' ? notFound('the pod was removed meanwhile', { file }) : e;
  });
}

async function markGarbage(ctx: PodContext, uuid: string): Promise<boolean> {
  const paths = podPaths(podDir(ctx.stateDir, uuid));
  const lock = await lockFile(paths.lock, { wait: false });
  if (!lock) return false;
  try {
    const state = await stateIfThere(paths.state);
    if (state.state !== 'exited') return false;
    await writeState(paths.state, { ...state, state: 'garbage', garbageSince: now() });
    return true;
  } finally {
    await lock.release();
  }
}

/** pods/.rm-* left by a command killed while it deleted a pod directory: what was in it is already released. */
async function finishRemovals(ctx: PodContext, result: GcResult): Promise<void> {
  for (const name of (await listPodDirs(ctx.stateDir)).removing) {
    // Its remover may still be deleting it: deleting twice is harmless.
    await destroyPodDir(ctx.sys, path.join(podsDir(ctx.stateDir), name)).catch((error) => result.failed.push({ uuid: name, error }));
  }
}

/** pods/.new-<uuid> whose maker died (its lock is free). Under the pods lock, which prepare holds while it makes one. */
async function collectUnfinished(ctx: PodContext, images: Pick<PodImages, 'release'>, result: GcResult): Promise<void> {
  // Nothing to collect (a fresh state directory has no pods/ and so no lock file): a prepare
  // that starts after this look holds its own lock and is not collected anyway.
  if (!(await listPodDirs(ctx.stateDir)).unfinished.length) return;
  await withLock(podsLockFile(ctx.stateDir), async () => {
    for (const uuid of (await listPodDirs(ctx.stateDir)).unfinished) {
      await collectUnfinishedPod(ctx, images, uuid).then((removed) => removed && result.removed.push(uuid), (error) => result.failed.push({ uuid, error }));
    }
  });
}

async function collectUnfinishedPod(ctx: PodContext, images: Pick<PodImages, 'release'>, uuid: string): Promise<boolean> {
  const dir = newPodDir(ctx.stateDir, uuid);
  const lock = await lockFile(podPaths(dir).lock, { wait: false });
  if (!lock) return false;
  try {
    // References are taken after the manifest is written: no manifest, no references.
    const manifest = await fs.readFile(podPaths(dir).manifest, 'utf8').then((t) => JSON.parse(t) as { apps: { image: { id: string } }[] }, () => undefined);
    if (manifest) await images.release(manifest.apps.map((a) => a.image.id), uuid);
    await unregisterPod(ctx.stateDir, uuid, { podDir: dir });
    await destroyPodDir(ctx.sys, dir);
    return true;
  } finally {
    await lock.release();
  }
}
