// The pod state machine against a fake systemd: prepare, start, the end of a
// pod as status finds it, events written once, gc, names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { endPod, fakePods, IDLE_IMAGE_ID, prepareIdle as prepare } from '../../support/fake-pods.js';
import { podDir, podPaths } from '../../../src/pod/dir.js';
import { collectPods } from '../../../src/pod/gc.js';
import { lockFile } from '../../../src/pod/lock.js';
import { removePod } from '../../../src/pod/rm.js';
import { preparePod, preparePodHeld, type PodImages } from '../../../src/pod/prepare.js';
import { startPod, waitExited } from '../../../src/pod/run.js';
import { readState, writeState } from '../../../src/pod/state.js';
import { podStatus } from '../../../src/pod/status.js';
import { listPods } from '../../../src/pod/list.js';
import { findPodByName } from '../../../src/pod/find.js';
import { parseRunArgs } from '../../../src/cli/run-args.js';
import { SprocketError } from '../../../src/errors.js';
import { METADATA_SERVICE_UNIT, METADATA_SOCKET_UNIT } from '../../../src/metadata/ensure.js';
import { podOfToken } from '../../../src/metadata/secrets.js';

test('prepare, start, end: status follows systemd and writes the end events once', async () => {
  const { ctx, systemd, images, refs, events } = await fakePods();
  const plan = await prepare(ctx, images);
  const prepared = await podStatus(ctx, plan.uuid);
  assert.equal(prepared.state, 'prepared');
  assert.deepEqual(prepared.apps.map((a) => [a.name, a.image, a.imageName]), [['idle', IDLE_IMAGE_ID, 'example.com/idle']]);
  assert.deepEqual([...refs], [`${IDLE_IMAGE_ID}/${plan.uuid}`]);
  await assert.rejects(fs.access(path.join(ctx.stateDir, 'pods', `.new-${plan.uuid}`)));

  await startPod(ctx, plan.uuid);
  const running = await podStatus(ctx, plan.uuid);
  assert.equal(running.state, 'running');
  assert.ok(running.pid);
  assert.equal(systemd.units.get(plan.unit)!.properties.Slice, 'machine.slice');
  await assert.rejects(startPod(ctx, plan.uuid), (e: unknown) => e instanceof SprocketError && e.kind === 'conflict');

  await endPod(ctx, systemd, plan.uuid, 'idle', 'exit-code exited 5', 'exit-code exited 5');
  const exited = await podStatus(ctx, plan.uuid);
  assert.equal(exited.state, 'exited');
  assert.equal(exited.exitStatus, 5);
  assert.deepEqual(exited.apps.map((a) => [a.name, a.state, a.exitStatus]), [['idle', 'exited', 5]]);
  const recorded = await readState(podPaths(podDir(ctx.stateDir, plan.uuid)).state);
  assert.equal(recorded.state, 'exited');
  // The end is recorded with the status it had: later reads give it from the state file alone.
  assert.deepEqual(recorded.final, exited);
  await fs.rm(podPaths(podDir(ctx.stateDir, plan.uuid)).plan);
  assert.deepEqual(await podStatus(ctx, plan.uuid), exited);
  assert.deepEqual(events.map((e) => [e.event, e.exitStatus]), [['prepared', undefined], ['started', undefined], ['app-exited', 5], ['stopped', 5]]);
});

test('run\'s prepare keeps the pod locked until startPod has started it, then lets go', async () => {
  const { ctx, images } = await fakePods();
  const held = await preparePodHeld(ctx, parseRunArgs(['idle']), images);
  const lock = podPaths(podDir(ctx.stateDir, held.plan.uuid)).lock;
  assert.equal(await lockFile(lock, { wait: false }), undefined, 'locked after prepare');
  assert.equal((await podStatus(ctx, held.plan.uuid)).state, 'prepared');
  await startPod(ctx, held.plan.uuid, { held });
  assert.equal((await podStatus(ctx, held.plan.uuid)).state, 'running');
  const free = await lockFile(lock, { wait: false });
  assert.ok(free, 'released once started');
  await free.release();
});

test('an app stopped before its main process ran is recorded as stopped, not killed', async () => {
  const { ctx, systemd, images } = await fakePods();
  const plan = await prepare(ctx, images);
  await startPod(ctx, plan.uuid);
  // app-stopped writes "success - -" when the app's ExecMainCode is 0: the pod stopped while it was starting.
  await endPod(ctx, systemd, plan.uuid, 'idle', 'success exited 0', 'success - -');
  const status = await podStatus(ctx, plan.uuid);
  assert.deepEqual(status.apps.map((a) => [a.name, a.state, a.signal]), [['idle', 'stopped', undefined]]);
});

test('a pod recorded running whose unit is gone without a record is exited, with a note', async () => {
  const { ctx, images } = await fakePods();
  const plan = await prepare(ctx, images);
  const file = podPaths(podDir(ctx.stateDir, plan.uuid)).state;
  await writeState(file, { ...(await readState(file)), state: 'running' });
  const status = await podStatus(ctx, plan.uuid);
  assert.equal(status.state, 'exited');
  assert.match(status.note!, /gone without an exit record/);
  assert.deepEqual(status.apps.map((a) => a.state), ['stopped']);
  // Read again, as before the end was recorded with the status: the stored state is exited, the note is gone.
  const { note: _, ...again } = status;
  assert.deepEqual(await podStatus(ctx, plan.uuid), again);
});

test('names are unique among live pods only', async () => {
  const { ctx, systemd, images } = await fakePods();
  const first = await prepare(ctx, images, '--name', 'web');
  await assert.rejects(prepare(ctx, images, '--name', 'web'), /a live pod is already named web/);
  await startPod(ctx, first.uuid);
  await endPod(ctx, systemd, first.uuid, 'idle', 'success exited 0', 'success exited 0');
  const second = await prepare(ctx, images, '--name', 'web');
  assert.notEqual(second.uuid, first.uuid);
});

test('gc marks exited pods, removes them after the grace period, expires prepared pods and crashed prepares', async () => {
  const { ctx, systemd, images, refs, events } = await fakePods();
  const ran = await prepare(ctx, images);
  await startPod(ctx, ran.uuid);
  await endPod(ctx, systemd, ran.uuid, 'idle', 'success exited 0', 'success exited 0');
  const ended = await podStatus(ctx, ran.uuid);
  const kept = await prepare(ctx, images);
  const crashed = path.join(ctx.stateDir, 'pods', '.new-0b3c7e9a-5f1d-4c2b-9a8e-1f2d3c4b5a69');
  await fs.mkdir(crashed);

  const hour = 3_600_000;
  const marked = await collectPods(ctx, images, { gracePeriodMs: hour, expirePreparedMs: hour, markOnly: false });
  assert.deepEqual(marked, { marked: [ran.uuid], removed: ['0b3c7e9a-5f1d-4c2b-9a8e-1f2d3c4b5a69'], skipped: [], failed: [] });
  assert.deepEqual(await podStatus(ctx, ran.uuid), { ...ended, state: 'garbage' });

  const removed = await collectPods(ctx, images, { gracePeriodMs: 0, expirePreparedMs: 0, markOnly: false });
  assert.deepEqual(removed.removed.sort(), [ran.uuid, kept.uuid].sort());
  assert.deepEqual(await fs.readdir(path.join(ctx.stateDir, 'pods')), ['.lock']);
  assert.deepEqual([...refs], []);
  assert.equal(events.filter((e) => e.event === 'collected').length, 2);
});

test('rm leaves alone a pod that a foreground run is attached to', async () => {
  const { ctx, images } = await fakePods();
  const plan = await prepare(ctx, images);
  const attached = (await lockFile(podPaths(podDir(ctx.stateDir, plan.uuid)).attached, { wait: true, shared: true }))!;
  await assert.rejects(removePod(ctx, plan.uuid, images), /has a sprocket run attached/);
  await attached.release();
  await removePod(ctx, plan.uuid, images);
  await assert.rejects(fs.access(podDir(ctx.stateDir, plan.uuid)));
});

test('gc of a fresh state directory (no pods/ yet) finds nothing and makes nothing', async () => {
  const { ctx, images } = await fakePods();
  assert.deepEqual(await collectPods(ctx, images, { gracePeriodMs: 0, expirePreparedMs: 0, markOnly: false }), { marked: [], removed: [], skipped: [], failed: [] });
  await assert.rejects(fs.access(path.join(ctx.stateDir, 'pods')));
});

const metadataUrl = (plan: { apps: { environment: { name: string; value: string }[] }[] }) =>
  plan.apps[0]!.environment.find((e) => e.name === 'AC_METADATA_URL')?.value;

test('a pod is registered with the metadata service from prepare until rm; start makes sure the service is there', async () => {
  const { ctx, systemd, images } = await fakePods();
  const plan = await prepare(ctx, images);
  const url = metadataUrl(plan);
  assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:2375\/[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(plan.apps[0]!.environment.map((e) => e.name), ['PATH', 'AC_APP_NAME', 'AC_METADATA_URL', 'container']);
  const token = url!.split('/').pop()!;
  assert.equal(await podOfToken(ctx.stateDir, token), plan.uuid, 'the token works once the pod is in place');
  const stored = JSON.parse(await fs.readFile(podPaths(podDir(ctx.stateDir, plan.uuid)).plan, 'utf8')) as typeof plan;
  assert.equal(metadataUrl(stored), url);

  // The installed socket unit is stopped: start starts it.
  systemd.units.get(METADATA_SOCKET_UNIT)!.state.activeState = 'inactive';
  await startPod(ctx, plan.uuid);
  assert.deepEqual(systemd.calls.filter(([, unit]) => unit.startsWith('sprocket-metadata')), [
    ['startTransientUnit', METADATA_SOCKET_UNIT], ['startUnit', METADATA_SOCKET_UNIT],
  ]);
  assert.ok(!systemd.units.has(METADATA_SERVICE_UNIT));
  await endPod(ctx, systemd, plan.uuid, 'idle', 'success exited 0', 'success exited 0');
  await removePod(ctx, plan.uuid, images);
  assert.equal(await podOfToken(ctx.stateDir, token), null);
  assert.deepEqual(await fs.readdir(path.join(ctx.stateDir, 'metadata', 'tokens')), []);
});

test('--mds-register=false: no registration, no AC_METADATA_URL, no service needed', async () => {
  const { ctx, systemd, images } = await fakePods();
  systemd.units.delete(METADATA_SOCKET_UNIT);
  const plan = await prepare(ctx, images, '--mds-register=false');
  assert.equal(metadataUrl(plan), undefined);
  await assert.rejects(fs.access(path.join(podDir(ctx.stateDir, plan.uuid), 'metadata')));
  await startPod(ctx, plan.uuid);
  assert.equal((await podStatus(ctx, plan.uuid)).state, 'running');
});

test('a prepare that fails after registering leaves no token behind; gc unregisters crashed prepares', async () => {
  const { ctx, images } = await fakePods();
  const failing: PodImages = { ...images, hold: async () => Promise.reject(new Error('disk full')) };
  await assert.rejects(prepare(ctx, failing), /disk full/);
  const index = path.join(ctx.stateDir, 'metadata', 'tokens');
  assert.deepEqual(await fs.readdir(index), []);
  assert.deepEqual((await fs.readdir(path.join(ctx.stateDir, 'pods'))).filter((n) => n !== '.lock'), []);

  // A maker that died after registering: its .new- directory and index entry.
  const plan = await prepare(ctx, images);
  const tmp = path.join(ctx.stateDir, 'pods', `.new-${plan.uuid}`);
  await fs.rename(podDir(ctx.stateDir, plan.uuid), tmp);
  assert.equal((await fs.readdir(index)).length, 1);
  const r = await collectPods(ctx, images, { gracePeriodMs: 0, expirePreparedMs: 0, markOnly: false });
  assert.deepEqual(r.removed, [plan.uuid]);
  assert.deepEqual(await fs.readdir(index), []);
});

test('a pod whose status cannot be read is listed as unknown, reported by gc, keeps its name, and rm removes it', async () => {
  const { ctx, systemd, images, refs } = await fakePods();
  const ok = await prepare(ctx, images);
  const bad = await prepare(ctx, images, '--name', 'web');
  await startPod(ctx, bad.uuid);
  const state = podPaths(podDir(ctx.stateDir, bad.uuid)).state;
  await fs.writeFile(state, '{"state": "running", "cre');

  const listed = await listPods(ctx);
  assert.deepEqual(listed.map((p) => [p.uuid, p.state]).sort(), [[ok.uuid, 'prepared'], [bad.uuid, 'unknown']].sort());
  assert.match(listed.find((p) => p.uuid === bad.uuid)!.note!, /state: pod state is not JSON/);

  const gc = await collectPods(ctx, images, { gracePeriodMs: 0, expirePreparedMs: 0, markOnly: false });
  assert.deepEqual(gc.removed, [ok.uuid]);
  assert.deepEqual(gc.failed.map((f) => f.uuid), [bad.uuid]);

  // Its name is not freed by the error: a status that fails to read keeps the pod live.
  await writeState(state, { state: 'running', name: 'web', created: new Date().toISOString() });
  systemd.failGetUnitState = new Error('D-Bus is down');
  assert.equal(await findPodByName(ctx, 'web'), bad.uuid);
  systemd.failGetUnitState = undefined;

  await fs.writeFile(state, 'garbled');
  await assert.rejects(removePod(ctx, bad.uuid, images), /is running: it cannot be removed/);
  systemd.exit(bad.unit, 0);
  await removePod(ctx, bad.uuid, images);
  assert.deepEqual(await fs.readdir(path.join(ctx.stateDir, 'pods')), ['.lock']);
  assert.deepEqual([...refs], []);
});

test('status --wait=DURATION: a pod still running when the time is up is an error (254); one that exits in time is returned', async () => {
  const { ctx, systemd, images } = await fakePods();
  const plan = await prepare(ctx, images);
  await startPod(ctx, plan.uuid);
  await assert.rejects(waitExited(ctx, plan.uuid, { timeoutMs: 300 }), (e: unknown) =>
    e instanceof SprocketError && e.exitCode === 254 && /pod [0-9a-f-]+ is still running/.test(e.describe()));
  setTimeout(() => void endPod(ctx, systemd, plan.uuid, 'idle', 'exit-code exited 3', 'exit-code exited 3'), 100);
  const ended = await waitExited(ctx, plan.uuid, { timeoutMs: 10_000 });
  assert.deepEqual([ended.state, ended.exitStatus], ['exited', 3]);
});

test('network: set up before the unit starts and torn down after it (ExecStopPost) and by gc; a failed set-up or a taken port leaves the pod prepared', async () => {
  const { ctx, systemd, images, net } = await fakePods();
  const pod = await prepare(ctx, images, '--mds-register=false');
  await startPod(ctx, pod.uuid);
  assert.deepEqual(net.calls, [`check ${pod.uuid}`, `check ${pod.uuid}`, `set-up ${pod.uuid}`]);
  const post = systemd.units.get(pod.unit)!.properties.ExecStopPost!;
  assert.deepEqual(post.at(-1)!.argv, ['/bin/true', 'network-teardown', pod.uuid]);
  await endPod(ctx, systemd, pod.uuid, 'idle', 'success exited 0', 'success exited 0');
  await collectPods(ctx, images, { gracePeriodMs: 3_600_000, expirePreparedMs: 3_600_000, markOnly: false });
  assert.equal(net.calls.at(-1), `tear-down ${podDir(ctx.stateDir, pod.uuid)}`);

  const failing = await prepare(ctx, images, '--mds-register=false');
  net.failSetUp = true;
  await assert.rejects(startPod(ctx, failing.uuid), /CNI ADD failed/);
  assert.equal(net.calls.at(-1), `tear-down ${podDir(ctx.stateDir, failing.uuid)}`);
  assert.equal((await podStatus(ctx, failing.uuid)).state, 'prepared');
  assert.equal(systemd.units.has(failing.unit), false);

  net.failSetUp = false;
  net.taken.add(8080);
  const taken = await preparePod(ctx, { ...parseRunArgs(['--mds-register=false', '--port=http:8080', 'idle']) }, {
    ...images, manifest: async () => ({ acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/idle', app: { exec: ['/bin/sleep', '9'], user: 'root', group: '0', ports: [{ name: 'http', protocol: 'tcp', port: 80, count: 1 }] } }),
  });
  const before = net.calls.length;
  await assert.rejects(startPod(ctx, taken.uuid), (e: SprocketError) => e.field === '--port' && /host port 8080 is in use/.test(e.message));
  assert.deepEqual(net.calls.slice(before), [`check ${taken.uuid}`]);
  assert.equal((await podStatus(ctx, taken.uuid)).state, 'prepared');
});
