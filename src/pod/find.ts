// Naming a pod on the command line: its UUID, a unique prefix of it, or its name.
import { notFound, SprocketError } from '../errors.js';
import type { PodContext } from './context.js';
import { listPodDirs, newPodDir, podDir, podPaths } from './dir.js';
import { lockFile } from './lock.js';
import { readState } from './state.js';
import { podStatus } from './status.js';

const LIVE = ['preparing', 'prepared', 'running'];

/** UUID of the pod named `ref`; a name matches the live pod of that name first, then the newest. */
export async function findPod(ctx: PodContext, ref: string): Promise<string> {
  const { pods } = await listPodDirs(ctx.stateDir);
  const byUuid = pods.filter((u) => u === ref || (ref.length >= 4 && u.startsWith(ref)));
  if (byUuid.length === 1) return byUuid[0]!;
  if (byUuid.length > 1) throw new SprocketError('conflict', `${ref} matches ${byUuid.length} pods`, { file: ref, hint: 'give more of the UUID' });
  const live = await findPodByName(ctx, ref);
  if (live) return live;
  const named = [];
  for (const uuid of pods) {
    const state = await readState(podPaths(podDir(ctx.stateDir, uuid)).state).catch(() => undefined);
    if (state?.name === ref) named.push({ uuid, created: state.created });
  }
  named.sort((a, b) => a.created.localeCompare(b.created));
  if (named.length) return named.at(-1)!.uuid;
  throw notFound(`no pod ${ref}`, { file: ref, hint: 'see sprocket list' });
}

/** The live pod (preparing, prepared or running) named `name`, including pods still being made. */
export async function findPodByName(ctx: PodContext, name: string): Promise<string | undefined> {
  const { pods, unfinished } = await listPodDirs(ctx.stateDir);
  for (const uuid of unfinished) {
    const paths = podPaths(newPodDir(ctx.stateDir, uuid));
    const state = await readState(paths.state).catch(() => undefined);
    if (state?.name !== name) continue;
    // Its maker holds its lock while alive; a free lock means a crashed prepare that gc will remove.
    const lock = await lockFile(paths.lock, { wait: false }).catch(() => undefined);
    if (!lock) return uuid;
    await lock.release();
  }
  for (const uuid of pods) {
    const state = await readState(podPaths(podDir(ctx.stateDir, uuid)).state).catch(() => undefined);
    if (state?.name !== name || !LIVE.includes(state.state)) continue;
    // A pod whose status cannot be read keeps its name: an error never frees one.
    const status = await podStatus(ctx, uuid).catch(() => undefined);
    if (!status || LIVE.includes(status.state)) return uuid;
  }
  return undefined;
}
