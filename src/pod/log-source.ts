// Which pod `sprocket logs` reads: its UUID, its host unit and its apps.
import type { PodLogSource } from '../journal/pod-log.js';
import { podUnit, type PodPlan } from '../../stage1-nspawn/plan.js';
import type { PodContext } from './context.js';
import { isUuid } from '../spec/patterns.js';
import { SprocketError } from '../errors.js';
import { podDir } from './dir.js';
import { findPod } from './find.js';
import { waitPod } from './run.js';
import { readPlan } from './status.js';

/** The host uid of a pod's root, when it is not the host's (a user namespace): its health events are written as that uid. */
export const podRoot = (plan: Pick<PodPlan, 'privateUsers'>) => (plan.privateUsers ? { root: plan.privateUsers.base } : {});

/** The pod named by `ref`; a removed pod's journal stays, so a full UUID needs no pod directory. */
export async function podLogSource(ctx: PodContext, ref: string): Promise<PodLogSource> {
  const uuid = isUuid(ref) ? ref : await findPod(ctx, ref);
  try {
    const plan = await readPlan(podDir(ctx.stateDir, uuid));
    return { uuid, unit: plan.unit, ...(plan.invocation ? { invocation: plan.invocation } : {}), apps: plan.apps.map((a) => a.name), ...podRoot(plan) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return { uuid, unit: podUnit(uuid) };
  }
}

/** `logs --app`: an app of the pod (of a removed pod, whose apps are not known any more, any name). */
export function checkLogApp(pod: PodLogSource, app: string): void {
  if (pod.apps && !pod.apps.includes(app)) {
    throw new SprocketError('not-found', `pod has no app "${app}"; its apps: ${pod.apps.join(', ')}`, { file: `pod ${pod.uuid}`, field: '--app' });
  }
}

/** Resolves once the pod is not running (at once for a removed or a prepared pod): where `logs -f` ends. */
export async function podNotRunning(ctx: PodContext, pod: PodLogSource): Promise<void> {
  if (pod.apps) await waitPod(ctx, pod.uuid);
}
