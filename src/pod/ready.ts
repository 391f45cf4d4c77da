// Readiness: a pod is ready when its host unit is active, i.e. when the pod's
// systemd reported READY=1 to nspawn (--notify-ready=yes), which it does once
// every app has started, apps of Type=notify once they sent READY=1.
import { SprocketError } from '../errors.js';
import { SYSTEMD_WAIT_MS } from '../systemd/job-results.js';
import type { PodContext } from './context.js';
import { podDir } from './dir.js';
import { podStatus, readPlan, type PodStatus } from './status.js';

const POLL_MS = 100;

/**
 * Waits until pod `uuid` is ready; returns its status then. Throws when the
 * pod is not running, ends before it is ready, or the time (default 120 s)
 * is up.
 */
export async function waitReady(ctx: PodContext, uuid: string, opts: { timeoutMs?: number } = {}): Promise<PodStatus> {
  const deadline = Date.now() + (opts.timeoutMs ?? SYSTEMD_WAIT_MS);
  const plan = await readPlan(podDir(ctx.stateDir, uuid));
  for (;;) {
    const unit = await ctx.systemd.getUnitState(plan.unit);
    if (unit?.activeState === 'active') return podStatus(ctx, uuid);
    const status = await podStatus(ctx, uuid);
    // A prepared pod may be started by another command at any moment.
    if (status.state !== 'running' && status.state !== 'prepared') {
      throw new SprocketError('runtime', `pod ${uuid} is ${status.state}: it will not become ready`, { file: uuid });
    }
    if (Date.now() >= deadline) throw new SprocketError('runtime', `pod ${uuid} is not ready yet: its unit is ${unit?.activeState ?? 'gone'}`, { file: plan.unit, hint: `see: systemctl status ${plan.unit}; give --wait-ready a longer duration` });
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
