// rm: removes a pod that is not running: its references on images, what is
// left of its unit, any mount below its directory, the directory itself.
import fs from 'node:fs/promises';
import { failedFor, SprocketError } from '../errors.js';
import { killPoint } from '../kill-point.js';
import { unregisterPod } from '../metadata/register.js';
import type { PodContext } from './context.js';
import { podDir, podPaths, removingDir } from './dir.js';
import { lockFile } from './lock.js';
import type { PodImages } from './prepare.js';
import { podUnit } from '../../stage1-nspawn/plan.js';
import { podStatus, readPlan, unitRuns, type PodStatus } from './status.js';
import { now, readState, writeState } from './state.js';
import { assertPodMay } from './transitions.js';
import type { Syscalls } from '../syscalls.js';

export async function removePod(ctx: PodContext, uuid: string, images: Pick<PodImages, 'release'>): Promise<void> {
  const dir = podDir(ctx.stateDir, uuid);
  const paths = podPaths(dir);
  const lock = await lockFile(paths.lock, { wait: false });
  if (!lock) throw new SprocketError('conflict', `pod ${uuid} is in use by another sprocket command`, { file: uuid, hint: 'try again when it is done' });
  const attached = await lockFile(paths.attached, { wait: false });
  if (!attached) {
    await lock.release();
    throw new SprocketError('conflict', `pod ${uuid} has a sprocket run attached`, { file: uuid, hint: 'try again when that run has ended' });
  }
  try {
    assertPodMay('remove', uuid, await removableState(ctx, uuid));
    // Marked first: a crash from here on leaves a pod that gc removes.
    const stored = await readState(paths.state).catch(() => ({ created: now() }));
    await writeState(paths.state, { ...stored, state: 'garbage' });
    killPoint('rm:marked');
    const plan = await readPlan(dir);
    // Its network first: a failure keeps the pod (and the record of what to tear down).
    await ctx.net.tearDown(dir);
    // An inline pod's unit is the operator's: its failure is theirs to see.
    if (!plan.invocation) await ctx.systemd.resetFailedUnit(plan.unit);
    // Its token stops working before its secrets go with the directory.
    await unregisterPod(ctx.stateDir, uuid);
    killPoint('rm:unregistered');
    // References go before the directory: a kill in between leaves a garbage pod (gc removes it), never a reference without a pod.
    await images.release(plan.apps.map((a) => a.imageId), uuid);
    killPoint('rm:released');
    await destroyPodDir(ctx.sys, dir);
  } finally {
    await attached.release();
    await lock.release();
  }
  ctx.event({ pod: uuid, event: 'collected' });
}

/** The pod's state; one whose files were changed by hand is unknown, or running while systemd runs its unit. */
async function removableState(ctx: PodContext, uuid: string): Promise<PodStatus['state']> {
  try {
    return (await podStatus(ctx, uuid)).state;
  } catch (e) {
    if (!(e instanceof SprocketError && e.kind === 'invalid')) throw e;
    return unitRuns(await ctx.systemd.getUnitState(podUnit(uuid))) ? 'running' : 'unknown';
  }
}

/**
 * Unmounts whatever is mounted below `dir` (deepest first), then deletes it.
 * Every mount is tried; one that stays is named in the error, and the
 * directory is kept (deleting it would reach into what is still mounted).
 */
export async function destroyPodDir(sys: Pick<Syscalls, 'mountsBelow' | 'unmount'>, dir: string): Promise<void> {
  const failures: { name: string; error: unknown }[] = [];
  for (const target of (await sys.mountsBelow(dir)).reverse()) {
    await sys.unmount(target).catch((error: unknown) => failures.push({ name: target, error }));
  }
  if (failures.length) throw failedFor(`mounts below ${dir} that cannot be unmounted`, failures);
  // Out of sight first, in one rename: a kill while deleting leaves a .rm- directory that gc deletes, not half a pod.
  const doomed = removingDir(dir);
  if (doomed !== dir) await fs.rename(dir, doomed);
  killPoint('rm:hidden');
  await fs.rm(doomed, { recursive: true, force: true });
}
