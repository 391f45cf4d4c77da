// enter: a command beside a running app: in the namespaces (mount one
// included, so with the app's root, /proc and volumes) of the app's main
// process, found in the app unit's cgroup below the pod's host unit; with
// the app's environment, as root.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SprocketError, usage } from '../errors.js';
import { appUnitName } from '../../stage1-nspawn/app-unit.js';
import type { PodContext } from './context.js';
import { podDir } from './dir.js';
import { podStatus, readPlan } from './status.js';
import { assertPodMay } from './transitions.js';

/** Runs `argv` (default /bin/sh) in app `app` of pod `uuid` with the terminal; resolves to its exit code. */
export async function enterPod(ctx: PodContext, uuid: string, app: string | undefined, argv: string[]): Promise<number> {
  const status = await podStatus(ctx, uuid);
  assertPodMay('enter', uuid, status.state);
  const plan = await readPlan(podDir(ctx.stateDir, uuid));
  if (!app && plan.apps.length > 1) throw usage(`pod ${uuid} has ${plan.apps.length} apps: choose one with --app (${plan.apps.map((a) => a.name).join(', ')})`, { field: '--app' });
  const target = app ? plan.apps.find((a) => a.name === app) : plan.apps[0];
  if (!target) throw usage(`pod ${uuid} has no app ${app}`, { field: '--app', hint: `apps: ${plan.apps.map((a) => a.name).join(', ')}` });
  const cgroup = String((await ctx.systemd.getUnitProperties(plan.unit, 'Service')).ControlGroup ?? '');
  const pid = await firstProcess(path.join(await cgroup2Mount(), cgroup, 'payload/system.slice', appUnitName(target.name)));
  if (!pid) throw new SprocketError('conflict', `app ${target.name} of pod ${uuid} is not running`, { file: uuid });
  const env = Object.fromEntries(target.environment.map((v) => [v.name, v.value]));
  const child = spawn('/usr/bin/nsenter', ['-t', String(pid), '-a', '-r', '-w', '--', ...(argv.length ? argv : ['/bin/sh'])], {
    stdio: 'inherit',
    env,
  });
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new SprocketError('runtime', `cannot run nsenter: ${e.message}`, { file: uuid })));
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? 15 : 0)));
  });
}

/** Where the unified cgroup hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host). */
async function cgroup2Mount(): Promise<string> {
  const line = (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => / - cgroup2 /.test(l));
  if (!line) throw new SprocketError('runtime', 'no cgroup2 hierarchy is mounted', { file: '/proc/self/mountinfo' });
  return line.split(' ')[4]!;
}

async function firstProcess(cgroup: string): Promise<number | undefined> {
  const pids = await fs.readFile(path.join(cgroup, 'cgroup.procs'), 'utf8').catch(() => '');
  const first = pids.split('\n').find(Boolean);
  return first ? Number(first) : undefined;
}
