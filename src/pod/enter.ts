// enter: a command in a running app's root, inside the pod's namespaces
// (nsenter into the pod's systemd, chroot into /opt/stage2/<app>/rootfs),
// with the app's environment, as root.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { SprocketError, usage } from '../errors.js';
import { appRoot } from '../../stage1-nspawn/app-unit.js';
import type { PodContext } from './context.js';
import { podDir } from './dir.js';
import { podStatus, readPlan } from './status.js';

const run = promisify(execFile);

/** Runs `argv` (default /bin/sh) in app `app` of pod `uuid` with the terminal; resolves to its exit code. */
export async function enterPod(ctx: PodContext, uuid: string, app: string | undefined, argv: string[]): Promise<number> {
  const status = await podStatus(ctx, uuid);
  if (status.state !== 'running') throw new SprocketError('conflict', `pod ${uuid} is ${status.state}`, { file: uuid, hint: 'enter needs a running pod' });
  const plan = await readPlan(podDir(ctx.stateDir, uuid));
  if (!app && plan.apps.length > 1) throw usage(`pod ${uuid} has ${plan.apps.length} apps: choose one with --app (${plan.apps.map((a) => a.name).join(', ')})`, { field: '--app' });
  const target = app ? plan.apps.find((a) => a.name === app) : plan.apps[0];
  if (!target) throw usage(`pod ${uuid} has no app ${app}`, { field: '--app', hint: `apps: ${plan.apps.map((a) => a.name).join(', ')}` });
  const leader = await podLeader(plan.machine);
  const env = Object.fromEntries(target.environment.map((v) => [v.name, v.value]));
  const child = spawn('/usr/bin/nsenter', ['-t', String(leader), '-m', '-u', '-i', '-n', '-p', '--', '/usr/sbin/chroot', appRoot(target.name), ...(argv.length ? argv : ['/bin/sh'])], {
    stdio: 'inherit',
    env,
  });
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new SprocketError('runtime', `cannot run nsenter: ${e.message}`, { file: uuid })));
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? 15 : 0)));
  });
}

/** PID of the pod's systemd, from systemd-machined. */
async function podLeader(machine: string): Promise<number> {
  const { stdout } = await run('machinectl', ['show', '--property=Leader', '--value', machine]).catch((e: Error) => {
    throw new SprocketError('runtime', `machinectl does not know the pod: ${e.message}`, { file: machine });
  });
  return Number(stdout.trim());
}
