// stop: asks systemd to stop the pod's unit. nspawn forwards the stop to the
// pod's systemd, which stops every app cleanly (their exit hooks run); the
// pod's halt unit repeats that while the pod is still booting
// (stage1-nspawn/host-unit.ts, haltUnit). --force kills every process of
// the pod at once instead.
import os from 'node:os';
import { SprocketError } from '../errors.js';
import { killPoint } from '../kill-point.js';
import { SYSTEMD_WAIT_MS } from '../systemd/job-results.js';
import type { PodContext } from './context.js';
import { podDir } from './dir.js';
import { podStatus, readPlan, type PodStatus } from './status.js';
import { waitPod } from './run.js';
import { podMay } from './transitions.js';

export async function stopPod(ctx: PodContext, uuid: string, opts: { force: boolean }): Promise<PodStatus> {
  const status = await podStatus(ctx, uuid);
  if (!podMay('stop', status.state)) return status;
  const plan = await readPlan(podDir(ctx.stateDir, uuid));
  if (opts.force) await ctx.systemd.killUnit(plan.unit, os.constants.signals.SIGKILL, 'all');
  else await ctx.systemd.stopUnit(plan.unit);
  killPoint('stop:requested');
  const stopped = await waitPod(ctx, uuid, { timeoutMs: SYSTEMD_WAIT_MS });
  if (stopped.state === 'running') {
    throw new SprocketError('runtime', `pod ${uuid} did not stop within ${SYSTEMD_WAIT_MS / 1000} s`, { file: plan.unit, hint: `see: systemctl status ${plan.unit}; sprocket stop --force ${uuid}` });
  }
  return stopped;
}
