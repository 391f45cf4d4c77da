// status: what a pod is now. The stored state says what sprocket did last;
// systemd says whether the pod's unit still runs; the exit records in the
// pod directory say how it ended. A pod whose CLI died at any step is
// explained from these three. status and list are machine interfaces
// (--format json): fields are documented in docs/pods.md.
import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeError, invalid, notFound, SprocketError } from '../errors.js';
import { isSocketActivated } from '../../stage1-nspawn/app-socket.js';
import type { PodPlan } from '../../stage1-nspawn/plan.js';
import type { PodManifest } from '../spec/pod-manifest.js';
import type { UnitState } from '../systemd/unit-state.js';
import type { PodContext } from './context.js';
import { podInterfaces } from '../net/interfaces.js';
import { readAppHealth } from './health-status.js';
import { readPodEndMarks, unrequestedShutdown } from './pod-end.js';
import { podDir, podPaths } from './dir.js';
import { lockFile } from './lock.js';
import type { AppStatus, ExitRecord, LogCopierStatus, PodStatus } from './state-schema.js';
import { readState, writeState, type PodState } from './state.js';

export type { AppStatus, ExitRecord, PodStatus } from './state-schema.js';

const ACTIVE = ['active', 'activating', 'deactivating', 'reloading'];

/** True while systemd runs the unit (or starts, stops or reloads it). */
export const unitRuns = (unit: UnitState | null) => unit !== null && ACTIVE.includes(unit.activeState);

/**
 * The status of a pod whose own status failed to read with `error`: state
 * unknown, the reason as its note; undefined when the pod is gone (removed
 * meanwhile). list and gc report such pods instead of leaving them out.
 */
export async function unknownStatus(ctx: PodContext, uuid: string, error: unknown): Promise<PodStatus | undefined> {
  if (error instanceof SprocketError && error.kind === 'not-found') return undefined;
  const dir = podDir(ctx.stateDir, uuid);
  let created: string;
  try {
    created = statSync(dir).mtime.toISOString();
  } catch {
    return undefined;
  }
  const { podMachine, podUnit } = await import('../../stage1-nspawn/plan.js');
  return { uuid, state: 'unknown', unit: podUnit(uuid), machine: podMachine(uuid), created, apps: [], note: describeError(error) };
}

// The small files of a pod are read synchronously: list reads some 5000 of
// them for 1000 pods, and each one through the thread pool (open, fstat,
// read, close as separate hops) cost ten times as much.

export async function readExitRecord(file: string): Promise<(ExitRecord & { at: string }) | undefined> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const [result = '', code = '', status = ''] = readFileSync(fd, 'utf8').trim().split(/\s+/);
    return { result, code, status, at: fstatSync(fd).mtime.toISOString() };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * The pod's plan.json. prepare validated the plan whole before writing it
 * (parsePodPlan); read back, it gets a cheap check only: no zod for every
 * pod of a list, nor on the way to starting a pod.
 */
export async function readPlan(dir: string): Promise<PodPlan> {
  const file = podPaths(dir).plan;
  let plan: Partial<Record<keyof PodPlan, unknown>>;
  try {
    plan = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw e;
    throw invalid('the pod plan is not JSON', { file, hint: 'the pod directory was changed by hand; remove it with sprocket rm' });
  }
  if (typeof plan?.uuid !== 'string' || !Array.isArray(plan.apps)) throw invalid('not a pod plan', { file, hint: 'the pod directory was changed by hand; remove it with sprocket rm' });
  return plan as PodPlan;
}

/** The status of pod `uuid`; a stored state that systemd contradicts is corrected on disk. */
export async function podStatus(ctx: PodContext, uuid: string): Promise<PodStatus> {
  const dir = podDir(ctx.stateDir, uuid);
  const paths = podPaths(dir);
  const stored = await readState(paths.state).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw notFound(`no pod ${uuid}`, { file: dir, hint: 'see sprocket list' });
    throw e;
  });
  // An exited pod's status was recorded with its end (see correct).
  if (stored.final && (stored.state === 'exited' || stored.state === 'garbage')) return { ...stored.final, state: stored.state };
  const plan = await readPlan(dir);
  // An exited pod's end is recorded on disk: its unit is gone, systemd is not asked (list of many pods).
  const unit = stored.state === 'garbage' || stored.state === 'exited' ? null : await ctx.systemd.getUnitState(plan.unit);
  const podExit = await readExitRecord(paths.podExit);
  const status = await describe(uuid, stored, plan, unit, podExit);
  if (status.state !== stored.state && stored.state !== 'garbage') await correct(ctx, paths, stored, status, (exited) => describe(uuid, exited, plan, null, podExit));
  return status;
}

/** A pod's status from its files and its unit: one of its states (never unknown). */
type KnownStatus = PodStatus & { state: PodState['state'] };

async function describe(uuid: string, stored: PodState, plan: PodPlan, unit: UnitState | null, podExit: Awaited<ReturnType<typeof readExitRecord>>): Promise<KnownStatus> {
  // An inline pod's unit is the operator's service: only the run of it that the pod was made for is the pod.
  const ours = unit !== null && (plan.invocation === undefined || unit.invocationId === plan.invocation);
  const inlinePrepared = plan.invocation !== undefined && stored.state === 'prepared';
  const running = ours && unitRuns(unit) && !inlinePrepared;
  let state: PodState['state'];
  let note: string | undefined;
  if (stored.state === 'garbage') state = 'garbage';
  else if (running) state = 'running';
  else if (stored.state === 'prepared' && !podExit && (!unit || inlinePrepared)) state = 'prepared';
  else {
    state = 'exited';
    if (!podExit) note = stored.state === 'prepared' || stored.state === 'running'
      ? 'the pod unit is gone without an exit record: it was never started, or the host lost it'
      : undefined;
  }
  if (state === 'running' && stored.state === 'prepared') note = 'started by a sprocket process that died before recording it; the pod runs under systemd';
  const base: KnownStatus = {
    uuid,
    ...(stored.name ? { name: stored.name } : {}),
    state,
    unit: plan.unit,
    machine: plan.machine,
    privateUsers: plan.privateUsers ? 'yes' : 'no',
    ...(plan.privateUsers ? { uidRange: plan.privateUsers } : {}),
    created: stored.created,
    apps: await appStatuses(plan, state, await imageNames(plan.podDir)),
  };
  if (running && unit.mainPID) base.pid = unit.mainPID;
  if (running) base.attached = await isAttached(podPaths(plan.podDir).attached);
  if (running && plan.network === 'contained') base.networks = podInterfaces(plan.podDir);
  const started = stored.started ?? (ours && unit.execMainStartTimestamp ? new Date(unit.execMainStartTimestamp / 1000).toISOString() : undefined);
  if (started && state !== 'prepared') base.started = started;
  const copier = readCopierRecord(podPaths(plan.podDir).copierRecord);
  if (state === 'exited' || state === 'garbage') {
    const exited = stored.exited ?? podExit?.at;
    if (exited) base.exited = exited;
    const shutdown = unrequestedShutdown(podExit, readPodEndMarks(plan.podDir), copier);
    if (shutdown) {
      base.failure = shutdown.failure;
      note = shutdown.note;
    } else if (podExit?.code === 'exited') base.exitStatus = Number(podExit.status);
    else if (podExit) base.signal = podExit.status;
  }
  if (copier) base.logCopier = copier;
  if (note) base.note = note;
  if (plan.isolation.report.length) base.isolators = plan.isolation.report;
  return base;
}

/** True while some foreground run holds the pod's attached lock. */
async function isAttached(file: string): Promise<boolean> {
  const probe = await lockFile(file, { wait: false }).catch(() => null);
  if (probe === null) return false; // the pod went away meanwhile
  if (!probe) return true;
  await probe.release();
  return false;
}

/**
 * App name to image name, from the reified manifest (none if it cannot be
 * read). sprocket wrote and validated the manifest when the pod was
 * prepared; it is not checked whole again (list reads it for every pod),
 * only the fields used here.
 */
async function imageNames(dir: string): Promise<Map<string, string>> {
  let text: string | undefined;
  try {
    text = readFileSync(podPaths(dir).manifest, 'utf8');
  } catch {
    text = undefined;
  }
  const apps: unknown = text ? (JSON.parse(text) as Partial<PodManifest>).apps : undefined;
  const names = new Map<string, string>();
  if (!Array.isArray(apps)) return names;
  for (const a of apps as Partial<PodManifest['apps'][number]>[]) {
    if (typeof a?.name !== 'string' || typeof a.image !== 'object' || a.image === null) return new Map();
    if (typeof a.image.name === 'string') names.set(a.name, a.image.name);
  }
  return names;
}

/** status/app-log.service, written by the pod's app-log-stopped at each end of the log copier that no stop asked for: "COUNT RESULT EXIT_CODE EXIT_STATUS". */
function readCopierRecord(file: string): LogCopierStatus | undefined {
  let text: string;
  let at: string;
  try {
    text = readFileSync(file, 'utf8');
    at = statSync(file).mtime.toISOString();
  } catch {
    return undefined;
  }
  const [count = '', result = '', code = '', status = ''] = text.trim().split(/\s+/);
  if (!/^\d+$/.test(count)) return undefined;
  return { ends: Number(count), result, ...(code === 'exited' ? { exitStatus: Number(status) } : { signal: status }), at };
}

/** status/<app>.restarts, written by the pod's app-started@<app>.service at each start: 0 before the first. */
function readRestarts(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return 0;
  }
  return /^\d+$/.test(text) ? Number(text) : 0;
}

/**
 * Whether a socket-activated app of a running pod waits for a connection:
 * it has not started yet, or it ended after its last start (each start
 * writes status/<app>.restarts through app-started@, each end status/<app>).
 */
function isListening(statusDir: string, app: string): boolean {
  const mtime = (file: string) => statSync(path.join(statusDir, file), { throwIfNoEntry: false })?.mtimeMs;
  const started = mtime(`${app}.restarts`);
  const ended = mtime(app);
  return started === undefined || (ended !== undefined && ended >= started);
}

async function appStatuses(plan: PodPlan, podState: PodStatus['state'], names: Map<string, string>): Promise<AppStatus[]> {
  return Promise.all(plan.apps.map(async (app): Promise<AppStatus> => {
    const report = app.isolation.report;
    const imageName = names.get(app.name);
    const restarts = app.restart !== undefined && app.restart !== 'no' ? readRestarts(path.join(podPaths(plan.podDir).status, `${app.name}.restarts`)) : undefined;
    const health = app.health ? readAppHealth(podPaths(plan.podDir).status, app.name) : undefined;
    const base = {
      name: app.name, image: app.imageId, ...(imageName ? { imageName } : {}), ...(restarts !== undefined ? { restarts } : {}), ...(health ? { health } : {}),
      // A plan of an older sprocket has no secrets (readPlan does not fill defaults).
      ...(app.secrets?.length ? { secrets: app.secrets.map((s) => s.name) } : {}),
      ...(report.length ? { isolators: report } : {}),
    };
    const record = await readExitRecord(path.join(podPaths(plan.podDir).status, app.name));
    if (podState === 'running' && isSocketActivated(app)) {
      if (!isListening(podPaths(plan.podDir).status, app.name)) return { ...base, state: 'running' };
      return { ...base, state: 'listening', ...(record?.code === 'exited' ? { exitStatus: Number(record.status), result: record.result } : {}) };
    }
    if (!record) {
      if (podState === 'prepared') return { ...base, state: 'prepared' };
      return { ...base, state: podState === 'running' ? 'running' : 'stopped' };
    }
    // An app the pod's systemd restarts runs on after a failure (its record is of the last one).
    if (podState === 'running' && restarts !== undefined && record.result !== 'success') return { ...base, state: 'running' };
    if (record.code === 'exited') return { ...base, state: 'exited', exitStatus: Number(record.status), result: record.result };
    // "success - -": the pod was stopped before the app's main process ran.
    if (record.code === '-' && record.result === 'success') return { ...base, state: 'stopped', result: record.result };
    const stopped = ['TERM', 'KILL', 'INT', 'HUP'].includes(record.status);
    return { ...base, state: stopped ? 'stopped' : 'killed', signal: record.status, result: record.result };
  }));
}

/**
 * Writes what systemd said back to the state file, unless another command
 * holds the pod. Whoever records the end of a pod (a foreground run, status,
 * list, gc) writes its events, once: the state file says it was done.
 */
async function correct(ctx: PodContext, paths: ReturnType<typeof podPaths>, stored: PodState, status: KnownStatus, describeExited: (s: PodState) => Promise<PodStatus>): Promise<void> {
  const lock = await lockFile(paths.lock, { wait: false });
  if (!lock) return;
  try {
    const current = await readState(paths.state);
    if (current.state !== stored.state) return;
    const next: PodState = {
      ...current,
      state: status.state,
      ...(status.started ? { started: status.started } : {}),
      ...(status.exited ? { exited: status.exited } : {}),
    };
    // The end is final: what status says of the pod from now on, as status
    // would describe it from the new state, is kept with it.
    await writeState(paths.state, status.state === 'exited' ? { ...next, final: await describeExited(next) } : next);
    if (status.state === 'exited') recordEnd(ctx, status);
  } finally {
    await lock.release();
  }
}

function recordEnd(ctx: PodContext, status: PodStatus): void {
  const exitStatus = (s: { exitStatus?: number }) => (s.exitStatus !== undefined ? { exitStatus: s.exitStatus } : {});
  for (const app of status.apps) {
    const how = app.exitStatus !== undefined ? `exited with ${app.exitStatus}` : app.signal ? `${app.state} by SIG${app.signal}` : app.state;
    ctx.event({ pod: status.uuid, event: 'app-exited', app: app.name, ...exitStatus(app), message: `pod ${status.uuid}: app ${app.name} ${how}` });
  }
  const how = status.exitStatus !== undefined ? `exit status ${status.exitStatus}` : status.signal ? `signal ${status.signal}` : status.failure ? `failed: ${status.note}` : 'no exit record';
  ctx.event({ pod: status.uuid, event: 'stopped', ...exitStatus(status), message: `pod ${status.uuid}: stopped, ${how}` });
}
