// Attacks from inside a pod on its stage1 (issue 20, "Apps cannot reach the
// host or stage1"): root apps share the pod's PID namespace with its log
// copier and its systemd, and may signal them. Killing or stopping the
// copier must not silence the other apps, and a poweroff that an app asks
// of the pod's PID 1 is no clean exit.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { useHost } from '../support/host.js';
import { busyboxImage, IN_HOST, onMachine, podStatusJson, sprocket, sprocketOk } from '../support/pods.js';
import { waitFor } from '../support/wait.js';
import { COPIER_WATCHDOG_S } from '../../stage1-nspawn/app-log.js';

const IMAGE = 'example.com/busy';
const ROOT = ['--user=0', '--group=0'];
const sh = (script: string) => ['--exec', '/bin/sh', '--', '-c', script];
/** Sends `signal` to every process of the pod named app-log: the copier. */
const killCopier = (signal: string) => `for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = app-log ] && kill -${signal} \${p#/proc/}; done`;
/** Signals the copier once, after a second; then touches /shared/done. */
const signalCopier = (signal: string) => sh(`sleep 1; ${killCopier(signal)}; touch /shared/done; sleep 600`);
/** Prints line-1 ... line-N, one every 0.1 s, then waits. */
const talker = (n: number) => sh(`i=0; while [ $i -lt ${n} ]; do i=$((i+1)); echo line-$i; sleep 0.1; done; sleep 600`);

type Status = Awaited<ReturnType<typeof podStatusJson>> & { failure?: string; logCopier?: { ends: number; result: string; signal?: string } };

describe('stage1 under attack from its apps', () => {
  const host = useHost('e2e-stage1-attacks');
  const status = async (pod: string) => (await podStatusJson(host(), pod)) as Status;
  const lines = async (pod: string): Promise<string[]> => [...((await sprocketOk(host(), ['logs', '--app', 'talker', pod])).match(/line-\d+/g) ?? [])];

  before(async () => {
    await busyboxImage(host(), IMAGE);
  });

  /** A detached pod of the talker and an app that signals the copier; returns its UUID once that app is done. */
  async function attacked(signal: string, count: number): Promise<{ pod: string; done: number }> {
    const pod = (await sprocketOk(host(), [
      'run', '-d', '--volume', 'shared,kind=empty,mode=0777',
      IMAGE, '--name', 'talker', ...talker(count), '---',
      IMAGE, '--name', 'attacker', ...ROOT, '--mount', 'volume=shared,target=/shared', ...signalCopier(signal),
    ])).trim();
    const done = onMachine(host(), `${IN_HOST}/pods/${pod}/volumes/shared/done`);
    await waitFor('the attacker to signal the copier', () => access(done).then(() => true, () => false));
    return { pod, done: Date.now() };
  }

  it('an app that kills the copier (SIGKILL): the other app\'s later lines reach the journal, the pod runs on, the end is recorded', async () => {
    const { pod } = await attacked('9', 40);
    await waitFor('the talker\'s last line after the kill', async () => (await lines(pod)).includes('line-40'));
    const s = await status(pod);
    assert.equal(s.state, 'running');
    assert.deepEqual([s.logCopier?.ends, s.logCopier?.result, s.logCopier?.signal], [1, 'signal', 'KILL']);
    assert.match(await sprocketOk(host(), ['status', pod]), /^log-copier=ends=1 result=signal signal=KILL at=/m);
    // The event, from the copier's unit: sprocket's own (docs/journal.md), not an app's line.
    assert.match(await sprocketOk(host(), ['logs', pod]), new RegExp(`sprocket: pod ${pod}: the log copier ended without a stop \\(signal killed KILL\\), started again`));
    // A stop is still a clean exit.
    await sprocketOk(host(), ['stop', pod]);
    const stopped = await status(pod);
    assert.deepEqual([stopped.state, stopped.exitStatus, stopped.failure], ['exited', 0, undefined]);
  });

  it(`an app that stops the copier (SIGSTOP): the watchdog (${COPIER_WATCHDOG_S} s) kills it, the other app's output resumes with no line lost`, async () => {
    const { pod, done } = await attacked('STOP', 80);
    const before = (await lines(pod)).length;
    await waitFor('the talker\'s output to resume', async () => (await lines(pod)).length > before + 5, 10 * (COPIER_WATCHDOG_S + 5));
    assert.ok(Date.now() - done < (COPIER_WATCHDOG_S + 3) * 1000, `resumed ${Date.now() - done} ms after the stop`);
    await waitFor('the talker\'s last line', async () => (await lines(pod)).includes('line-80'));
    assert.deepEqual(await lines(pod), Array.from({ length: 80 }, (_, i) => `line-${i + 1}`), 'every line, once, in order');
    const s = await status(pod);
    assert.equal(s.state, 'running');
    assert.deepEqual([s.logCopier?.ends, s.logCopier?.result, s.logCopier?.signal], [1, 'watchdog', 'KILL']);
    await sprocketOk(host(), ['stop', pod]);
  });

  it('an app that powers the pod off (kill -s SIGRTMIN+4 1): no clean exit 0, in status and as the foreground run\'s exit code', async () => {
    const uuidFile = `${IN_HOST}/poweroff.uuid`;
    // SIGRTMIN+4 is 38 with glibc, whose SIGRTMIN systemd uses.
    const r = await sprocket(host(), [
      'run', '--uuid-file-save', uuidFile,
      IMAGE, '--name', 'server', ...sh('sleep 600'), '---',
      IMAGE, '--name', 'attacker', ...ROOT, ...sh('sleep 0.5; kill -38 1; sleep 600'),
    ]);
    assert.equal(r.code, 254, r.stderr);
    assert.match(r.stderr, /the pod's systemd shut down before its apps ended and without a stop of its unit/);
    const s = await status((await readFile(onMachine(host(), uuidFile), 'utf8')).trim());
    assert.deepEqual([s.state, s.exitStatus, s.failure], ['exited', undefined, 'shutdown']);
    // Its apps were stopped by that shutdown, as by a stop.
    assert.deepEqual(s.apps.map((a) => a.state), ['stopped', 'stopped']);
  });
  it('an app that kills the copier again and again ends the pod, recorded as a failure that names the copier', async () => {
    const uuidFile = `${IN_HOST}/kill-loop.uuid`;
    const r = await sprocket(host(), [
      'run', '--uuid-file-save', uuidFile, IMAGE, '--name', 'talker', ...talker(100), '---',
      IMAGE, '--name', 'attacker', ...ROOT, ...sh(`while :; do ${killCopier('9')}; sleep 0.05; done`),
    ]);
    assert.equal(r.code, 254, r.stderr);
    const s = await status((await readFile(onMachine(host(), uuidFile), 'utf8')).trim());
    assert.deepEqual([s.state, s.exitStatus, s.failure, s.logCopier?.result], ['exited', undefined, 'shutdown', 'signal']);
    // Its start limit, 5 starts within 10 s (the socket's triggers among them).
    assert.ok(s.logCopier!.ends >= 2, `${s.logCopier!.ends} ends`);
    assert.match(s.note!, /its log copier ended \d+ time\(s\) without a stop \(last: signal KILL\)/);
  });
});
