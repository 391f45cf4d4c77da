// run-prepared (and the second half of run): a prepared pod becomes its
// host unit, sprocket-<uuid>.service, started over D-Bus. The pod belongs to
// systemd from then on: the CLI may die at any point and status explains it.
import fs from 'node:fs/promises';
import os from 'node:os';
import { EXIT_FAILURE, SprocketError, usage } from '../errors.js';
import { killPoint } from '../kill-point.js';
import { SYSTEMD_WAIT_MS } from '../systemd/job-results.js';
import { haltUnit, hostUnitProperties } from '../../stage1-nspawn/host-unit.js';
import { usesMetadataService } from '../../stage1-nspawn/metadata-proxy.js';
import { ensureMetadataService } from '../metadata/ensure.js';
import type { PodContext } from './context.js';
import { podDir, podPaths } from './dir.js';
import { withLock } from './lock.js';
import type { HeldPod } from './prepare.js';
import { now, readState, writeAtomically, writeState } from './state.js';
import { withNetRequest } from '../net/plan.js';
import type { NetRequest } from '../net/request.js';
import { parsePodPlan } from '../../stage1-nspawn/plan.js';
import { writeStage1Root } from '../../stage1-nspawn/stage1-root.js';
import { COMMAND_LINE } from './reify.js';
import { checkSecretFiles } from './secrets.js';
import { assertPodMay } from './transitions.js';
import type { PodPlan } from '../../stage1-nspawn/plan.js';
import { podStatus, readPlan, type PodStatus } from './status.js';

const POLL_MS = 200;

/** A pod startPod started: ready when its systemd came up, else it had ended (or was stopped) by then. */
export interface Started {
  uuid: string;
  ready: boolean;
}

/**
 * Starts prepared pod `uuid`; returns once the pod's systemd is up (ready)
 * or the pod already ended (not ready: it ended before, or was stopped while
 * it started). `terminal` (a tty path) becomes nspawn's stdin and stdout,
 * and so the console of an interactive app. `held`: the pod as `run`'s
 * prepare left it, locked; startPod releases that lock as it would its own.
 */
export async function startPod(ctx: PodContext, uuid: string, opts: { terminal?: string; network?: NetRequest; held?: HeldPod } = {}): Promise<Started> {
  const dir = podDir(ctx.stateDir, uuid);
  const paths = podPaths(dir);
  const locked = <T>(fn: () => Promise<T>) => (opts.held ? fn().finally(() => opts.held!.lock.release()) : withLock(paths.lock, fn));
  const ready = await locked(async () => {
    const { terminal } = opts;
    const { plan, undo } = await recordStart(ctx, uuid, {
      network: opts.network,
      check: (p) => {
        if (p.apps.some((a) => a.interactive) && !terminal) {
          throw usage(`pod ${uuid} is interactive: start it in the foreground, from a terminal`, { field: '--interactive' });
        }
      },
      prepared: opts.held?.plan,
      metadataChecked: opts.held?.metadataChecked,
    });
    const tearDown = plan.network === 'contained' ? await ctx.net.tearDownCommand(uuid).catch(undo) : undefined;
    try {
      await ctx.systemd.startTransientUnit(plan.unit, { ...hostUnitProperties(plan, tearDown), ...(terminal ? { StandardInputFile: terminal, StandardOutputFile: terminal } : {}) }, [haltUnit(plan)]);
      killPoint('run:started');
      return true;
    } catch (e) {
      // A pod that ended before it was ready (or was stopped meanwhile, which
      // cancels the start job) fails its start job but, once its unit is done
      // stopping, has its exit record.
      if ((await settledState(ctx, plan.unit)) === 'active') return true;
      const ended = await fs.stat(paths.podExit).then(() => true, () => false);
      if (!ended) return undo(e);
      return false;
    }
  });
  ctx.event({ pod: uuid, event: 'started' });
  return { uuid, ready };
}

/** What recordStart is told: run-prepared's network flags, and what to do at its steps. */
export interface StartSteps {
  network?: NetRequest | undefined;
  /** Refuses the plan before anything is recorded. */
  check?: (plan: PodPlan) => void;
  /** Runs once the pod is recorded as running, before its network is set up (an inline pod's unit record). */
  recorded?: (plan: PodPlan) => Promise<void>;
  /**
   * The plan of a pod this process prepared and kept locked since (HeldPod):
   * prepared for sure, its plan in hand, neither is read back.
   */
  prepared?: PodPlan | undefined;
  /** The metadata service's check, begun before (HeldPod): awaited instead of checking again. */
  metadataChecked?: Promise<unknown> | undefined;
}

/** A pod recordStart made ready to start, and how to take that back (network down, state as before; rethrows `e`). */
export interface RecordedStart {
  plan: PodPlan;
  undo: (e: unknown) => Promise<never>;
}

/**
 * The first steps of every start, under the pod's lock: only a prepared pod
 * (that `check` accepts) starts, with run-prepared's network flags applied;
 * its networks and host ports are there; the metadata service runs; the pod
 * is recorded as running; its network is set up. A failure of any step
 * leaves the pod as it was.
 */
export async function recordStart(ctx: PodContext, uuid: string, steps: StartSteps = {}): Promise<RecordedStart> {
  const dir = podDir(ctx.stateDir, uuid);
  const paths = podPaths(dir);
  if (!steps.prepared) assertPodMay('start', uuid, (await podStatus(ctx, uuid)).state);
  const plan = steps.prepared && !steps.network ? steps.prepared : await podPlanToStart(dir, steps.network);
  steps.check?.(plan);
  checkSecretFiles(plan);
  // Before anything is recorded: a pod that cannot reach the service, or
  // whose networks or host ports are not there, stays prepared.
  await ctx.net.check(plan);
  await ctx.net.checkPorts(plan);
  if (usesMetadataService(plan)) await (steps.metadataChecked ?? ensureMetadataService(ctx.systemd, { stateDir: ctx.stateDir }));
  const stored = await readState(paths.state);
  const undo = async (e: unknown): Promise<never> => {
    await ctx.net.tearDown(dir).catch(() => undefined);
    await writeState(paths.state, stored);
    throw e;
  };
  // Recorded first: a crash after the start leaves a running pod, one before it an exited one without record
  // (its network, if set up, is torn down by gc).
  await writeState(paths.state, { ...stored, state: 'running', started: now() });
  killPoint('run:recorded');
  await steps.recorded?.(plan).catch(undo);
  await ctx.net.setUp(plan).catch(undo);
  killPoint('run:network-up');
  return { plan, undo };
}

/**
 * The plan of a prepared pod, with run-prepared's network flags applied
 * (written back, with the stage1 root they change) when there are some.
 */
async function podPlanToStart(dir: string, network: NetRequest | undefined): Promise<PodPlan> {
  const file = podPaths(dir).plan;
  const plan = parsePodPlan(await readPlan(dir), file);
  if (!network) return plan;
  const changed = withNetRequest(plan, network, { source: COMMAND_LINE });
  await writeAtomically(file, `${JSON.stringify(changed, null, 2)}\n`);
  await writeStage1Root(changed);
  return changed;
}

/** The unit's active state once it is no longer activating or deactivating ('gone' if systemd dropped it). */
async function settledState(ctx: PodContext, unit: string): Promise<string> {
  const deadline = Date.now() + SYSTEMD_WAIT_MS;
  for (;;) {
    const state = (await ctx.systemd.getUnitState(unit))?.activeState ?? 'gone';
    if (state !== 'activating' && state !== 'deactivating') return state;
    if (Date.now() >= deadline) throw new SprocketError('runtime', `unit is still ${state} after ${SYSTEMD_WAIT_MS / 1000} s`, { file: unit, hint: `see: systemctl status ${unit}` });
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Waits until the pod's unit is gone or inactive; returns the final status. */
export async function waitPod(ctx: PodContext, uuid: string, opts: { timeoutMs?: number } = {}): Promise<PodStatus> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  for (;;) {
    const status = await podStatus(ctx, uuid);
    if (status.state !== 'running' || Date.now() >= deadline) return status;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** status --wait: waitPod, but a pod still running when the time is up is an error, as for --wait-ready. */
export async function waitExited(ctx: PodContext, uuid: string, opts: { timeoutMs?: number } = {}): Promise<PodStatus> {
  const status = await waitPod(ctx, uuid, opts);
  if (status.state === 'running') {
    throw new SprocketError('runtime', `pod ${uuid} is still running`, { file: uuid, hint: 'give --wait a longer duration, or none to wait until it has exited' });
  }
  return status;
}

/** The exit code of `sprocket run` for an ended pod: the pod's status, 128+N for a signal, 254 without either (no exit record, or the pod failed as a whole: status.failure). */
export function podExitCode(status: PodStatus): number {
  if (status.exitStatus !== undefined) return status.exitStatus;
  const n = status.signal ? os.constants.signals[`SIG${status.signal}` as NodeJS.Signals] : undefined;
  return n ? 128 + n : EXIT_FAILURE;
}
