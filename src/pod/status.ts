// status: what a pod is now. The stored state says what sprocket did last;
// systemd says whether the pod's unit still runs; the exit records in the
// pod directory say how it ended. A pod whose CLI died at any step is
// explained from these three. status and list are machine interfaces
// (--format json): fields are documented in docs/pods.md.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { notFound } from '../errors.js';
import { parsePodPlan, type PodPlan } from '../../stage1-nspawn/plan.js';
import { IsolatorOutcome } from '../../stage1-nspawn/isolators.js';
import type { UnitState } from '../systemd/unit-state.js';
import type { PodContext } from './context.js';
import { podDir, podPaths } from './dir.js';
import { lockFile } from './lock.js';
import { PodStateName, readState, writeState, type PodState } from './state.js';

/** How a process ended, as systemd tells an ExecStopPost= command. */
export const ExitRecord = z.object({
  /** $SERVICE_RESULT: success, exit-code, signal, timeout ... */
  result: z.string(),
  /** $EXIT_CODE: exited, killed or dumped. */
  code: z.string(),
  /** $EXIT_STATUS: the exit status (code exited) or the signal name. */
  status: z.string(),
});
export type ExitRecord = z.infer<typeof ExitRecord>;

export const AppStatus = z.object({
  name: z.string(),
  image: z.string(),
  /** The image's name, from the reified pod manifest. */
  imageName: z.string().optional(),
  /** prepared, running, exited (ended by itself), stopped (ended by SIGTERM when the pod stopped), killed (another signal). */
  state: z.enum(['prepared', 'running', 'exited', 'stopped', 'killed']),
  exitStatus: z.number().int().optional(),
  signal: z.string().optional(),
  result: z.string().optional(),
  /** What became of each isolator of the app: enforced, modified or ignored, and how. */
  isolators: z.array(IsolatorOutcome).optional(),
});
export type AppStatus = z.infer<typeof AppStatus>;

export const PodStatus = z.object({
  uuid: z.string(),
  name: z.string().optional(),
  state: PodStateName,
  unit: z.string(),
  machine: z.string(),
  /** PID (on the host) of the pod's nspawn while it runs. */
  pid: z.number().int().optional(),
  created: z.string(),
  started: z.string().optional(),
  exited: z.string().optional(),
  /** The pod's exit status: the first failed app's, else 0. */
  exitStatus: z.number().int().optional(),
  /** Set when the pod was ended by a signal (stop --force). */
  signal: z.string().optional(),
  apps: z.array(AppStatus),
  /** Why the state is what it is, when the stored state alone would mislead. */
  note: z.string().optional(),
  /** While running: whether a foreground `sprocket run` follows the pod (false after -d, or when that run was killed). */
  attached: z.boolean().optional(),
  /** What became of each pod isolator. */
  isolators: z.array(IsolatorOutcome).optional(),
});
export type PodStatus = z.infer<typeof PodStatus>;

const ACTIVE = ['active', 'activating', 'deactivating', 'reloading'];

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
    return { ...ExitRecord.parse({ result, code, status }), at: fstatSync(fd).mtime.toISOString() };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export async function readPlan(dir: string): Promise<PodPlan> {
  const file = podPaths(dir).plan;
  return parsePodPlan(JSON.parse(readFileSync(file, 'utf8')), file);
}

/** The status of pod `uuid`; a stored state that systemd contradicts is corrected on disk. */
export async function podStatus(ctx: PodContext, uuid: string): Promise<PodStatus> {
  const dir = podDir(ctx.stateDir, uuid);
  const paths = podPaths(dir);
  const stored = await readState(paths.state).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw notFound(`no pod ${uuid}`, { file: dir, hint: 'see sprocket list' });
    throw e;
  });
  const plan = await readPlan(dir);
  // An exited pod's end is recorded on disk: its unit is gone, systemd is not asked (list of many pods).
  const unit = stored.state === 'garbage' || stored.state === 'exited' ? null : await ctx.systemd.getUnitState(plan.unit);
  const podExit = await readExitRecord(paths.podExit);
  const status = await describe(uuid, stored, plan, unit, podExit);
  if (status.state !== stored.state && stored.state !== 'garbage') await correct(ctx, paths, stored, status);
  return status;
}

async function describe(uuid: string, stored: PodState, plan: PodPlan, unit: UnitState | null, podExit: Awaited<ReturnType<typeof readExitRecord>>): Promise<PodStatus> {
  const running = unit !== null && ACTIVE.includes(unit.activeState);
  let state: PodStatus['state'];
  let note: string | undefined;
  if (stored.state === 'garbage') state = 'garbage';
  else if (running) state = 'running';
  else if (stored.state === 'prepared' && !podExit && !unit) state = 'prepared';
  else {
    state = 'exited';
    if (!podExit) note = stored.state === 'prepared' || stored.state === 'running'
      ? 'the pod unit is gone without an exit record: it was never started, or the host lost it'
      : undefined;
  }
  if (state === 'running' && stored.state === 'prepared') note = 'started by a sprocket process that died before recording it; the pod runs under systemd';
  const base: PodStatus = {
    uuid,
    ...(stored.name ? { name: stored.name } : {}),
    state,
    unit: plan.unit,
    machine: plan.machine,
    created: stored.created,
    apps: await appStatuses(plan, state, await imageNames(plan.podDir)),
  };
  if (running && unit!.mainPID) base.pid = unit!.mainPID;
  if (running) base.attached = await isAttached(podPaths(plan.podDir).attached);
  const started = stored.started ?? (unit?.execMainStartTimestamp ? new Date(unit.execMainStartTimestamp / 1000).toISOString() : undefined);
  if (started && state !== 'prepared') base.started = started;
  if (state === 'exited' || state === 'garbage') {
    const exited = stored.exited ?? podExit?.at;
    if (exited) base.exited = exited;
    if (podExit?.code === 'exited') base.exitStatus = Number(podExit.status);
    else if (podExit) base.signal = podExit.status;
  }
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
 * The part of the reified manifest that status shows. sprocket wrote and
 * validated the manifest when the pod was prepared; checking it whole again
 * for every pod of a list would cost more than the rest of the list.
 */
const ManifestImageNames = z.object({ apps: z.array(z.object({ name: z.string(), image: z.object({ name: z.string().optional() }) })) });

/** App name to image name, from the reified manifest (none if it cannot be read). */
async function imageNames(dir: string): Promise<Map<string, string>> {
  let text: string | undefined;
  try {
    text = readFileSync(podPaths(dir).manifest, 'utf8');
  } catch {
    text = undefined;
  }
  const parsed = text ? ManifestImageNames.safeParse(JSON.parse(text)) : undefined;
  return new Map(parsed?.success ? parsed.data.apps.flatMap((a) => (a.image.name ? [[a.name, a.image.name] as const] : [])) : []);
}

async function appStatuses(plan: PodPlan, podState: PodStatus['state'], names: Map<string, string>): Promise<AppStatus[]> {
  return Promise.all(plan.apps.map(async (app): Promise<AppStatus> => {
    const report = app.isolation.report;
    const imageName = names.get(app.name);
    const base = { name: app.name, image: app.imageId, ...(imageName ? { imageName } : {}), ...(report.length ? { isolators: report } : {}) };
    const record = await readExitRecord(path.join(podPaths(plan.podDir).status, app.name));
    if (!record) {
      if (podState === 'prepared') return { ...base, state: 'prepared' };
      return { ...base, state: podState === 'running' ? 'running' : 'stopped' };
    }
    if (record.code === 'exited') return { ...base, state: 'exited', exitStatus: Number(record.status), result: record.result };
    const stopped = ['TERM', 'KILL', 'INT', 'HUP'].includes(record.status);
    return { ...base, state: stopped ? 'stopped' : 'killed', signal: record.status, result: record.result };
  }));
}

/**
 * Writes what systemd said back to the state file, unless another command
 * holds the pod. Whoever records the end of a pod (a foreground run, status,
 * list, gc) writes its events, once: the state file says it was done.
 */
async function correct(ctx: PodContext, paths: ReturnType<typeof podPaths>, stored: PodState, status: PodStatus): Promise<void> {
  const lock = await lockFile(paths.lock, { wait: false });
  if (!lock) return;
  try {
    const current = await readState(paths.state);
    if (current.state !== stored.state) return;
    await writeState(paths.state, {
      ...current,
      state: status.state,
      ...(status.started ? { started: status.started } : {}),
      ...(status.exited ? { exited: status.exited } : {}),
    });
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
  const how = status.exitStatus !== undefined ? `exit status ${status.exitStatus}` : status.signal ? `signal ${status.signal}` : 'no exit record';
  ctx.event({ pod: status.uuid, event: 'stopped', ...exitStatus(status), message: `pod ${status.uuid}: stopped, ${how}` });
}
