// An inline pod (docs/units.md): `sprocket run --unit-mode=inline` as
// ExecStart= of the operator's own service. sprocket prepares the pod,
// records it as running in this run of the service and hands nspawn's
// command line to its launcher (/usr/bin/sprocket, packaging/sprocket.sh),
// which execs it: nspawn (--keep-unit) becomes the service's main process,
// in the service's cgroup, and no Node.js process stays. The service is the
// pod: its limits, stop, readiness (Type=notify) and journal.
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SprocketError, usage } from '../errors.js';
import { UNIT_RECORDS } from '../../stage1-nspawn/exit-record.js';
import { haltUnit } from '../../stage1-nspawn/host-unit.js';
import { podDeviceLines } from '../../stage1-nspawn/devices.js';
import { podIsolatorProperties } from '../../stage1-nspawn/isolation-unit.js';
import { nspawnArgv } from '../../stage1-nspawn/nspawn-args.js';
import { InvocationId, type PodPlan } from '../../stage1-nspawn/plan.js';
import type { PodContext } from './context.js';
import { listPodDirs, podDir, podPaths } from './dir.js';
import { withLock } from './lock.js';
import type { InlineUnit } from './plan.js';
import type { PodImages } from './prepare.js';
import { removePod } from './rm.js';
import { recordStart } from './run.js';
import { podStatus, readPlan } from './status.js';

const FIELD = '--unit-mode';

/** The launcher's file for the command line it execs (one NUL-terminated word each). */
export const HANDOVER_ENV = 'SPROCKET_HANDOVER';

/**
 * The service this process runs in as ExecStart= (its main process is the
 * launcher, this process's parent), from $INVOCATION_ID and
 * /proc/self/cgroup; it must delegate its cgroup (the pod's systemd manages
 * its own subtree).
 */
export async function callerUnit(ctx: PodContext): Promise<InlineUnit> {
  const invocation = process.env.INVOCATION_ID ?? '';
  const notService = (why: string) => usage(`--unit-mode=inline runs as ExecStart= of a systemd service: ${why}`, { field: FIELD, hint: 'see docs/units.md (sprocket generate unit writes such a service)' });
  if (!InvocationId.safeParse(invocation).success) throw notService('no $INVOCATION_ID (not started by systemd)');
  if (!process.env[HANDOVER_ENV]) throw notService(`not started through /usr/bin/sprocket with --unit-mode=inline as one word (no $${HANDOVER_ENV})`);
  const cgroup = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::')) ?? '';
  const unit = path.basename(cgroup.slice(3));
  if (!unit.endsWith('.service')) throw notService(`this process is in cgroup ${cgroup.slice(3) || '(none)'}, not a service's`);
  const service = await ctx.systemd.getUnitProperties(unit, 'Service');
  if (service.MainPID !== process.ppid) throw notService(`it is not ${unit}'s main process (ExecStart=, not ExecStartPre= or a shell around it)`);
  if (service.Delegate !== true) throw notService(`${unit} needs Delegate=yes`);
  // A safety check that fails closed: without it an app makes and uses any device node (devices.ts).
  if (service.DevicePolicy !== 'closed' && service.DevicePolicy !== 'strict') {
    throw usage(`${unit} has DevicePolicy=${String(service.DevicePolicy)}: an inline pod's service needs DevicePolicy=closed (and nspawn's DeviceAllow= lines)`, {
      field: FIELD, hint: `add ${podDeviceLines().join(' ')} to its [Service], or write it again with sprocket generate unit (docs/units.md)`,
    });
  }
  return { unit, invocation };
}

/**
 * Removes the earlier pods of `unit` (other runs, ended): a service that
 * restarts runs a fresh pod each time, and its old ones do not pile up.
 * Each pod that cannot be removed is reported on stderr; the new pod runs anyway.
 */
export async function removeEarlierPods(ctx: PodContext, inline: InlineUnit, images: Pick<PodImages, 'release'>): Promise<void> {
  for (const uuid of (await listPodDirs(ctx.stateDir)).pods) {
    const plan = await readPlan(podDir(ctx.stateDir, uuid)).catch(() => undefined);
    if (plan?.unit !== inline.unit || !plan.invocation || plan.invocation === inline.invocation) continue;
    try {
      if ((await podStatus(ctx, uuid)).state !== 'running') await removeWhenFree(ctx, uuid, images);
    } catch (e) {
      process.stderr.write(`sprocket: cannot remove pod ${uuid}, an earlier pod of ${inline.unit}: ${(e as Error).message}\n`);
    }
  }
}

const BUSY_RETRY_MS = 100;
const BUSY_TIMEOUT_MS = 5000;

/** removePod, again while another command (a status, a list) holds the pod for a moment; up to BUSY_TIMEOUT_MS. */
async function removeWhenFree(ctx: PodContext, uuid: string, images: Pick<PodImages, 'release'>): Promise<void> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return await removePod(ctx, uuid, images);
    } catch (e) {
      if (!(e instanceof SprocketError) || e.kind !== 'conflict' || Date.now() >= deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, BUSY_RETRY_MS));
  }
}

/**
 * Starts prepared inline pod `uuid`: recorded as running, its unit record
 * (for the service's ExecStopPost=: the pod's exit record and network
 * teardown, whatever ends the service, kill -9 included), its network and
 * halt unit (host-unit.ts: nspawn's one halt signal may be lost while the
 * pod boots) in place. Returns the command line that the launcher execs.
 */
export async function startInline(ctx: PodContext, uuid: string, inline: InlineUnit): Promise<string[]> {
  const paths = podPaths(podDir(ctx.stateDir, uuid));
  const unitRecord = path.join(UNIT_RECORDS, inline.invocation);
  const plan = await withLock(paths.lock, async () => {
    const forget = async (e: unknown): Promise<never> => {
      await fs.rm(unitRecord, { force: true });
      throw e;
    };
    const { plan, undo } = await recordStart(ctx, uuid, {
      check: (p) => {
        const props = Object.keys(podIsolatorProperties(p.isolation));
        if (props.length) {
          throw usage(`an inline pod is bounded by its service: pod isolators (${props.join(', ')}) go in the service's [Service] section instead`, { field: 'isolators', file: uuid });
        }
        checkPassedSockets(p);
      },
      recorded: async (p) => {
        await fs.mkdir(UNIT_RECORDS, { recursive: true, mode: 0o700 });
        await fs.writeFile(unitRecord, p.podDir);
      },
    }).catch(forget);
    const halt = haltUnit(plan);
    await ctx.systemd.startTransientUnit(halt.name, halt.properties).catch((e: unknown) => forget(e).catch(undo));
    return plan;
  });
  ctx.event({ pod: uuid, event: 'started', message: `pod ${uuid}: started in ${plan.unit}` });
  // The stage1 root has no systemd before /usr is bound: nspawn would pick the legacy cgroup layout.
  return ['/usr/bin/env', 'SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1', ...nspawnArgv(plan)];
}

/**
 * The sockets the service was given (socket activation, docs/units.md) are
 * for the launcher, this process's parent (LISTEN_PID), which passes them
 * on to nspawn and so to the pod's systemd: each must have a port of the
 * pod (--port, plan.hostSockets) to go to, else its connections would wait
 * for ever.
 */
export function checkPassedSockets(plan: PodPlan, env: NodeJS.ProcessEnv = process.env, launcher = process.ppid): void {
  const passed = Number(env.LISTEN_PID) === launcher ? Number(env.LISTEN_FDS ?? 0) : 0;
  if (passed <= plan.hostSockets.length) return;
  const names = plan.hostSockets.map((h) => h.name);
  throw usage(`${plan.unit} was given ${passed} socket(s) (LISTEN_FDS) but the pod takes ${names.length ? `${names.length} (--port ${names.join(', ')})` : 'none'}`, {
    field: '--port', hint: 'publish each socket-activated port that a ListenStream= of the socket unit serves: --port NAME:[IP:]PORT, Port= in a pod unit file (docs/units.md)',
  });
}

/** Gives `argv` to the launcher, which execs it once this process has exited 0. */
export async function handOver(argv: string[]): Promise<void> {
  const file = process.env[HANDOVER_ENV]!;
  await fs.writeFile(file, argv.map((a) => `${a}\0`).join('')).catch((e: Error) => {
    throw new SprocketError('io', `cannot hand the pod over to the launcher: ${e.message}`, { file });
  });
}
