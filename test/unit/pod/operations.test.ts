// stop, wait, follow, enter and rm against fakes of systemd and of the host
// (FakeSyscalls: journal, mounts, cgroups, nsenter), without root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import { endPod, fakePods, prepareIdle } from '../../support/fake-pods.js';
import type { FakeSystemd } from '../../support/fake-systemd.js';
import type { PodContext } from '../../../src/pod/context.js';
import { podDir } from '../../../src/pod/dir.js';
import { followPod } from '../../../src/pod/attach.js';
import { enterPod } from '../../../src/pod/enter.js';
import { removePod } from '../../../src/pod/rm.js';
import { startPod, waitExited, waitPod } from '../../../src/pod/run.js';
import { stopPod } from '../../../src/pod/stop.js';
import { APP_LOG_UNIT_NAME } from '../../../stage1-nspawn/app-log.js';
import { podStatus } from '../../../src/pod/status.js';
import { podLogUntilEnded, type PodLogLine } from '../../../src/journal/pod-log.js';
import { checkLogApp, podLogSource, podNotRunning } from '../../../src/pod/log-source.js';
import { runSprocket } from '../../support/cli.js';

/** As the real pod does when its unit is stopped or killed: the exit hooks write their records, the unit ends. */
function endsWhenStopped(ctx: PodContext, systemd: FakeSystemd, podLine: string, appLine: string): void {
  const end = (name: string) => endPod(ctx, systemd, name.replace(/^sprocket-|\.service$/g, ''), 'idle', podLine, appLine);
  systemd.stopUnit = async (name) => {
    systemd.calls.push(['stopUnit', name]);
    if (name.startsWith('sprocket-') && systemd.units.has(name)) await end(name);
  };
  systemd.killUnit = async (name, signal) => {
    systemd.calls.push(['killUnit', name]);
    systemd.units.get(name)?.signals.push(signal);
    await end(name);
  };
}

async function runningPod() {
  const pods = await fakePods();
  const plan = await prepareIdle(pods.ctx, pods.images);
  await startPod(pods.ctx, plan.uuid);
  return { ...pods, uuid: plan.uuid, unit: plan.unit };
}

test('stop: asks systemd to stop the pod unit and returns the status of the ended pod; --force kills it with SIGKILL', async () => {
  const { ctx, systemd, uuid, unit } = await runningPod();
  endsWhenStopped(ctx, systemd, 'success exited 0', 'success exited 0');
  const stopped = await stopPod(ctx, uuid, { force: false });
  assert.deepEqual([stopped.state, stopped.exitStatus, stopped.apps.map((a) => a.state)], ['exited', 0, ['exited']]);
  assert.deepEqual(systemd.calls.filter(([, u]) => u === unit).map(([m]) => m), ['startTransientUnit', 'stopUnit']);

  const other = await runningPod();
  endsWhenStopped(other.ctx, other.systemd, 'signal killed KILL', 'signal killed KILL');
  const killed = await stopPod(other.ctx, other.uuid, { force: true });
  assert.equal(killed.state, 'exited');
  assert.equal(killed.signal, 'KILL');
  assert.deepEqual(other.systemd.calls.filter(([m]) => m === 'killUnit'), [['killUnit', other.unit]]);
});

test('stop of a pod that is not running changes nothing and asks systemd nothing', async () => {
  const { ctx, systemd, images } = await fakePods();
  const plan = await prepareIdle(ctx, images);
  const before = systemd.calls.length;
  assert.equal((await stopPod(ctx, plan.uuid, { force: false })).state, 'prepared');
  assert.equal(systemd.calls.length, before);
});

test('wait: returns once the pod ended; with a timeout, a pod still running is an error (waitExited) or its running status (waitPod)', async () => {
  const { ctx, systemd, uuid } = await runningPod();
  assert.equal((await waitPod(ctx, uuid, { timeoutMs: 0 })).state, 'running');
  await assert.rejects(waitExited(ctx, uuid, { timeoutMs: 300 }), /pod [0-9a-f-]+ is still running/);
  const waiting = waitExited(ctx, uuid);
  await endPod(ctx, systemd, uuid, 'idle', 'exit-code exited 3', 'exit-code exited 3');
  const ended = await waiting;
  assert.deepEqual([ended.state, ended.exitStatus], ['exited', 3]);
});

/** A line of app `app` as journald records it: written by the pod's log copier, inside the pod's unit, in a stream named after the app. */
const appLine = (uuid: string, app: string, message: string, priority = 6) => ({
  _SYSTEMD_UNIT: `sprocket-${uuid}.service`,
  _SYSTEMD_CGROUP: `/machine.slice/sprocket-${uuid}.service/payload/system.slice/${APP_LOG_UNIT_NAME}`,
  _TRANSPORT: 'stdout',
  SYSLOG_IDENTIFIER: app,
  PRIORITY: String(priority),
  MESSAGE: message,
});

test('follow: shows the pod\'s app lines (stderr ones on stderr), never a line another pod forged, and the lines that arrive just after the end', async () => {
  const { ctx, systemd, sys, images } = await fakePods();
  const plan = await prepareIdle(ctx, images);
  const shown: string[] = [];
  const follow = await followPod(ctx, plan.uuid, { stdout: (l) => shown.push(`out ${l}`), stderr: (l) => shown.push(`err ${l}`) });
  // Attached: rm leaves the pod alone while it is followed.
  await assert.rejects(removePod(ctx, plan.uuid, images), /has a sprocket run attached/);
  await startPod(ctx, plan.uuid);
  sys.write(appLine(plan.uuid, 'idle', 'hello'));
  sys.write(appLine(plan.uuid, 'idle', 'oops', 3));
  // Another pod's app writes to the journal socket with this pod's fields.
  const forger = '0b3c7e9a-5f1d-4c2b-9a8e-1f2d3c4b5a69';
  sys.write({ ...appLine(forger, 'idle', 'forged'), SPROCKET_POD: plan.uuid, _SYSTEMD_UNIT: `sprocket-${plan.uuid}.service` });
  const ending = follow.done();
  await endPod(ctx, systemd, plan.uuid, 'idle', 'success exited 0', 'success exited 0');
  sys.write(appLine(plan.uuid, 'idle', 'last words'));
  const status = await ending;
  assert.equal(status.state, 'exited');
  assert.deepEqual(shown, ['out hello', 'err oops', 'out last words']);
  assert.ok(sys.queries.some((q) => q.follow), 'the journal was followed');
  // Released: rm may remove the pod now.
  await removePod(ctx, plan.uuid, images);
});

/** `logs -f` of a pod: the messages it printed, once it ended. */
async function logsFollow(ctx: PodContext, ref: string): Promise<string[]> {
  const pod = await podLogSource(ctx, ref);
  const shown: PodLogLine[] = [];
  for await (const l of podLogUntilEnded(ctx.sys, pod, {}, podNotRunning(ctx, pod))) shown.push(l);
  return shown.map((l) => String(l.entry.MESSAGE));
}

test('logs -f: ends once the pod has exited and its lines are printed, the lines there were and those that came after the end', async () => {
  const { ctx, systemd, sys, uuid } = await runningPod();
  sys.write(appLine(uuid, 'idle', 'before'));
  const following = logsFollow(ctx, uuid);
  await new Promise((r) => setTimeout(r, 300));
  sys.write(appLine(uuid, 'idle', 'while running'));
  await endPod(ctx, systemd, uuid, 'idle', 'success exited 0', 'success exited 0');
  sys.write(appLine(uuid, 'idle', 'last words'));
  assert.deepEqual(await following, ['before', 'while running', 'last words']);
  // Already exited: its lines, then the end.
  assert.deepEqual(await logsFollow(ctx, uuid), ['before', 'while running', 'last words']);
});

test('logs --app: an app the pod does not have is refused, naming it and the pod\'s apps, exit 254', async () => {
  const { ctx, images } = await fakePods();
  const plan = await prepareIdle(ctx, images);
  checkLogApp(await podLogSource(ctx, plan.uuid), 'idle');
  const r = await runSprocket(['--dir', ctx.stateDir, 'logs', '--app', 'nosuch', plan.uuid]);
  assert.deepEqual([r.code, r.stdout, r.stderr], [254, '', `sprocket: pod ${plan.uuid}: --app: pod has no app "nosuch"; its apps: idle\n`]);
});

test('follow: a stop signal while following stops the pod through systemd', async () => {
  const { ctx, systemd, uuid, unit } = await runningPod();
  endsWhenStopped(ctx, systemd, 'success exited 0', 'success exited 0');
  const follow = await followPod(ctx, uuid, { stdout: () => undefined, stderr: () => undefined });
  process.emit('SIGTERM');
  const status = await follow.done();
  assert.equal(status.state, 'exited');
  assert.ok(systemd.calls.some(([m, u]) => m === 'stopUnit' && u === unit));
  assert.equal(process.listenerCount('SIGTERM'), 0, 'the signal handlers are removed');
});

test('enter: nsenter into the first process of the app unit\'s cgroup, with the app\'s environment; refused when the app or pod does not run', async () => {
  const { ctx, sys, images, uuid, unit } = await runningPod();
  const cgroup = `/machine.slice/${unit}/payload/system.slice/idle.service`;
  await assert.rejects(enterPod(ctx, uuid, undefined, []), /app idle of pod [0-9a-f-]+ is not running/);
  sys.cgroups.set(cgroup, [4242, 4300]);
  sys.enterExitCode = 7;
  assert.equal(await enterPod(ctx, uuid, undefined, ['/bin/ls', '-l']), 7);
  assert.equal(await enterPod(ctx, uuid, 'idle', []), 7);
  assert.deepEqual(sys.entered.map((e) => [e.pid, e.argv, e.env.AC_APP_NAME]), [[4242, ['/bin/ls', '-l'], 'idle'], [4242, ['/bin/sh'], 'idle']]);
  await assert.rejects(enterPod(ctx, uuid, 'web', []), /has no app web/);

  const prepared = await prepareIdle(ctx, images);
  await assert.rejects(enterPod(ctx, prepared.uuid, undefined, []), /is prepared: it cannot be entered/);
});

test('rm: unmounts what is mounted below the pod, deepest first; a mount that stays keeps the pod and is named', async () => {
  const { ctx, sys, images } = await fakePods();
  const plan = await prepareIdle(ctx, images);
  const dir = podDir(ctx.stateDir, plan.uuid);
  const mounts = [`${dir}/apps/idle/rootfs`, `${dir}/apps/idle/rootfs/proc`, `${os.tmpdir()}/elsewhere`];
  sys.mounts.push(...mounts);
  sys.busy.add(mounts[0]!);
  await assert.rejects(removePod(ctx, plan.uuid, images), (e: Error) => e.message.includes(`${mounts[0]}: cannot unmount`) && e.message.includes('target is busy'));
  assert.deepEqual(sys.unmounted, [mounts[1], mounts[0]]);
  await fs.access(dir);
  assert.equal((await podStatus(ctx, plan.uuid)).state, 'garbage', 'marked, so gc tries again');

  sys.busy.clear();
  await removePod(ctx, plan.uuid, images);
  assert.deepEqual(sys.mounts, [mounts[2]], 'mounts elsewhere are left alone');
  await assert.rejects(fs.access(dir));
});
