// enter: a command beside a running app: in the namespaces (mount one
// included, so with the app's root, /proc and volumes) of the app's main
// process, found in the app unit's cgroup below the pod's host unit; with
// the app's environment, as root.
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
  const [pid] = await ctx.sys.cgroupProcesses(path.join(cgroup, 'payload/system.slice', appUnitName(target.name)));
  if (!pid) throw new SprocketError('conflict', `app ${target.name} of pod ${uuid} is not running`, { file: uuid });
  const env = Object.fromEntries(target.environment.map((v) => [v.name, v.value]));
  return ctx.sys.enter(pid, argv.length ? argv : ['/bin/sh'], env);
}
