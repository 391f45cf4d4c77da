// stop: asks systemd to stop the pod's unit. nspawn forwards the stop to the
// pod's systemd, which stops every app cleanly (their exit hooks run);
// --force kills every process of the pod at once instead.
import fs from 'node:fs/promises';
import os from 'node:os';
import type { PodContext } from './context.js';
import { podDir } from './dir.js';
import { podStatus, readPlan, type PodStatus } from './status.js';
import { waitPod } from './run.js';

/** How often a clean stop of a pod is asked for again while its unit stops. */
const REPEAT_MS = 1000;
/** SIGRTMIN+3 (glibc's SIGRTMIN is 34): what nspawn sends the pod's systemd to halt it. */
const SIGRTMIN_3 = 37;

/**
 * Stops a pod's host unit cleanly. nspawn turns the unit's SIGTERM into one
 * SIGRTMIN+3 to the pod's systemd, which is lost if that systemd has not
 * started yet (a namespace's init ignores signals it has no handler for);
 * the unit would then wait for its stop timeout, and a second SIGTERM makes
 * nspawn kill the pod. So the pod's systemd gets SIGRTMIN+3 again, directly,
 * until the unit is down.
 */
export async function stopPodUnit(ctx: PodContext, unit: string): Promise<void> {
  const repeat = setInterval(() => void haltAgain(ctx, unit), REPEAT_MS);
  try {
    await ctx.systemd.stopUnit(unit);
  } finally {
    clearInterval(repeat);
  }
}

/** SIGRTMIN+3 to the pod's init: the child of nspawn, the unit's main process. */
async function haltAgain(ctx: PodContext, unit: string): Promise<void> {
  const nspawn = (await ctx.systemd.getUnitState(unit).catch(() => null))?.mainPID;
  if (!nspawn) return;
  const children = await fs.readFile(`/proc/${nspawn}/task/${nspawn}/children`, 'utf8').catch(() => '');
  for (const pid of children.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), SIGRTMIN_3);
    } catch {
      // gone meanwhile
    }
  }
}

export async function stopPod(ctx: PodContext, uuid: string, opts: { force: boolean }): Promise<PodStatus> {
  const status = await podStatus(ctx, uuid);
  if (status.state !== 'running') return status;
  const plan = await readPlan(podDir(ctx.stateDir, uuid));
  if (opts.force) {
    await ctx.systemd.killUnit(plan.unit, os.constants.signals.SIGKILL, 'all');
    return waitPod(ctx, uuid);
  }
  await stopPodUnit(ctx, plan.unit);
  return waitPod(ctx, uuid);
}
