// How a pod whose nspawn exited 0 ended (src/pod/pod-end.ts): a stop of its
// unit and its apps' own end are clean; a shutdown of its systemd with
// neither mark (an app's kill -s SIGRTMIN+4 1) is not. And the log copier's
// ends that no stop asked for, as status reports them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { endPod, fakePods, prepareIdle as prepare } from '../../support/fake-pods.js';
import { podDir, podPaths } from '../../../src/pod/dir.js';
import { unrequestedShutdown } from '../../../src/pod/pod-end.js';
import { podExitCode, startPod } from '../../../src/pod/run.js';
import { podStatus } from '../../../src/pod/status.js';

const exited0 = { result: 'success', code: 'exited', status: '0' };
const none = { stopRequested: false, appsEnded: false };

test('an exit 0 is clean after a stop of the unit or the apps\' own end, a failure without either', () => {
  assert.equal(unrequestedShutdown(exited0, { ...none, stopRequested: true }), undefined);
  assert.equal(unrequestedShutdown(exited0, { ...none, appsEnded: true }), undefined);
  assert.equal(unrequestedShutdown(exited0, none)?.failure, 'shutdown');
  // Any other end says what it is by itself: an app's exit status, a signal, no record at all.
  assert.equal(unrequestedShutdown({ result: 'exit-code', code: 'exited', status: '5' }, none), undefined);
  assert.equal(unrequestedShutdown({ result: 'signal', code: 'killed', status: 'KILL' }, none), undefined);
  assert.equal(unrequestedShutdown(undefined, none), undefined);
  // A copier killed again and again ends the pod through its start limit, with exit 0 too: named.
  assert.match(unrequestedShutdown(exited0, none, { ends: 5, result: 'signal', signal: 'KILL', at: '' })!.note, /its log copier ended 5 time\(s\) without a stop \(last: signal KILL\)/);
});

test('a pod powered off from inside is exited without an exit status: failure, note, run exits 254, the stopped event says so', async () => {
  const { ctx, systemd, images, events } = await fakePods();
  const plan = await prepare(ctx, images);
  await startPod(ctx, plan.uuid);
  // The pod's systemd stopped the app (SIGTERM) for a poweroff that neither a stop nor the apps' end asked for.
  await endPod(ctx, systemd, plan.uuid, 'idle', 'success exited 0', 'success killed TERM', false);
  const status = await podStatus(ctx, plan.uuid);
  assert.deepEqual([status.state, status.exitStatus, status.signal, status.failure], ['exited', undefined, undefined, 'shutdown']);
  assert.match(status.note!, /shut down before its apps ended and without a stop of its unit/);
  assert.equal(podExitCode(status), 254);
  assert.match(events.find((e) => e.event === 'stopped')!.message!, /stopped, failed: the pod's systemd shut down/);
  // Recorded with its end: the same from the state file.
  assert.equal((await podStatus(ctx, plan.uuid)).failure, 'shutdown');
});

test('a pod stopped, or whose apps all ended, exits 0', async () => {
  for (const appLine of ['success killed TERM', 'success exited 0']) {
    const { ctx, systemd, images } = await fakePods();
    const plan = await prepare(ctx, images);
    await startPod(ctx, plan.uuid);
    await endPod(ctx, systemd, plan.uuid, 'idle', 'success exited 0', appLine);
    const status = await podStatus(ctx, plan.uuid);
    assert.deepEqual([status.exitStatus, status.failure, podExitCode(status)], [0, undefined, 0]);
  }
});

test('status reports the log copier\'s ends that no stop asked for, running and exited', async () => {
  const { ctx, systemd, images } = await fakePods();
  const plan = await prepare(ctx, images);
  await startPod(ctx, plan.uuid);
  assert.equal((await podStatus(ctx, plan.uuid)).logCopier, undefined);
  const paths = podPaths(podDir(ctx.stateDir, plan.uuid));
  await fs.writeFile(paths.copierRecord, '2 watchdog killed KILL\n');
  const running = await podStatus(ctx, plan.uuid);
  assert.deepEqual({ ...running.logCopier, at: undefined }, { ends: 2, result: 'watchdog', signal: 'KILL', at: undefined });
  assert.ok(running.logCopier?.at);
  await fs.writeFile(paths.copierRecord, '3 exit-code exited 1\n');
  await endPod(ctx, systemd, plan.uuid, 'idle', 'success exited 0', 'success exited 0');
  const { logCopier } = await podStatus(ctx, plan.uuid);
  assert.deepEqual([logCopier?.ends, logCopier?.result, logCopier?.exitStatus], [3, 'exit-code', 1]);
});
