// Which pod `sprocket logs` reads: its UUID, its host unit and its apps.
import type { PodLogSource } from '../journal/pod-log.js';
import { podUnit } from '../../stage1-nspawn/plan.js';
import type { PodContext } from './context.js';
import { isUuid } from '../spec/patterns.js';
import { podDir } from './dir.js';
import { findPod } from './find.js';
import { readPlan } from './status.js';

/** The pod named by `ref`; a removed pod's journal stays, so a full UUID needs no pod directory. */
export async function podLogSource(ctx: PodContext, ref: string): Promise<PodLogSource> {
  const uuid = isUuid(ref) ? ref : await findPod(ctx, ref);
  try {
    const plan = await readPlan(podDir(ctx.stateDir, uuid));
    return { uuid, unit: plan.unit, ...(plan.invocation ? { invocation: plan.invocation } : {}), apps: plan.apps.map((a) => a.name) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return { uuid, unit: podUnit(uuid) };
  }
}
