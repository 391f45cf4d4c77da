// rm: removes a pod that is not running: its references on images, what is
// left of its unit, any mount below its directory, the directory itself.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { SprocketError } from '../errors.js';
import { unregisterPod } from '../metadata/register.js';
import type { PodContext } from './context.js';
import { podDir, podPaths } from './dir.js';
import { lockFile } from './lock.js';
import type { PodImages } from './prepare.js';
import { podStatus, readPlan } from './status.js';
import { readState, writeState } from './state.js';
import { assertPodMay } from './transitions.js';

const run = promisify(execFile);

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
    const status = await podStatus(ctx, uuid);
    assertPodMay('remove', uuid, status.state);
    // Marked first: a crash from here on leaves a pod that gc removes.
    await writeState(paths.state, { ...(await readState(paths.state)), state: 'garbage' });
    const plan = await readPlan(dir);
    await ctx.systemd.resetFailedUnit(plan.unit).catch(() => undefined);
    // Its token stops working before its secrets go with the directory.
    await unregisterPod(ctx.stateDir, uuid);
    await destroyPodDir(dir);
    await images.release(plan.apps.map((a) => a.imageId), uuid);
  } finally {
    await attached.release();
    await lock.release();
  }
  ctx.event({ pod: uuid, event: 'collected' });
}

/** Unmounts whatever is mounted below `dir` (deepest first), then deletes it. */
export async function destroyPodDir(dir: string): Promise<void> {
  for (const target of (await mountsBelow(dir)).reverse()) {
    await run('umount', ['--lazy', target]).catch((e: Error) => {
      throw new SprocketError('io', `cannot unmount: ${e.message}`, { file: target });
    });
  }
  await fs.rm(dir, { recursive: true, force: true });
}

/** Mount points at or below `dir`, in mount order (from /proc/self/mountinfo). */
export async function mountsBelow(dir: string): Promise<string[]> {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return info.split('\n').filter(Boolean).map((l) => unescape(l.split(' ')[4]!)).filter((m) => m === dir || m.startsWith(`${dir}/`));
}
