// A pod that does not come up (src/pod/boot-failure.ts): startPod reports it
// as not ready, and run refuses it with a message that says where to look.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fakePods, IDLE_IMAGE_ID, markCleanEnd } from '../../support/fake-pods.js';
import { FakeSystemd } from '../../support/fake-systemd.js';
import { METADATA_SOCKET_UNIT } from '../../../src/metadata/ensure.js';
import { podDir, podPaths } from '../../../src/pod/dir.js';
import { preparePod } from '../../../src/pod/prepare.js';
import { startPod } from '../../../src/pod/run.js';
import { podStatus, type PodStatus } from '../../../src/pod/status.js';
import { notUpError, refuseNotUp } from '../../../src/pod/boot-failure.js';
import { parseRunArgs } from '../../../src/cli/run-args.js';
import { SprocketError } from '../../../src/errors.js';

/** A systemd whose pod units end before they are ready: the exit hooks write their records, the start job fails. */
class FailingBoot extends FakeSystemd {
  constructor(private readonly stateDir: string, private readonly podLine: string, private readonly appLine?: string) {
    super();
  }

  override async startTransientUnit(...args: Parameters<FakeSystemd['startTransientUnit']>): Promise<void> {
    const name = args[0];
    if (name === METADATA_SOCKET_UNIT) return super.startTransientUnit(...args);
    this.calls.push(['startTransientUnit', name]);
    const uuid = name.replace(/^sprocket-|\.service$/g, '');
    const paths = podPaths(podDir(this.stateDir, uuid));
    if (this.appLine) await fs.writeFile(path.join(paths.status, 'idle'), `${this.appLine}\n`);
    await markCleanEnd(paths, this.podLine, this.appLine);
    await fs.writeFile(paths.podExit, `${this.podLine}\n`);
    throw new SprocketError('runtime', 'start transient unit: job failed', { file: name });
  }
}

/** A systemd whose pod comes up (its start job succeeds) as its app fails: the app's record is there, the pod ends right after. */
class FailingAsReady extends FakeSystemd {
  constructor(private readonly stateDir: string, private readonly appLine?: string) {
    super();
  }

  override async startTransientUnit(...args: Parameters<FakeSystemd['startTransientUnit']>): Promise<void> {
    await super.startTransientUnit(...args);
    const name = args[0];
    if (!this.appLine || name === METADATA_SOCKET_UNIT) return;
    const paths = podPaths(podDir(this.stateDir, name.replace(/^sprocket-|\.service$/g, '')));
    await fs.writeFile(path.join(paths.status, 'idle'), `${this.appLine}\n`);
    setTimeout(() => {
      void fs.writeFile(paths.podExit, `${this.appLine}\n`).then(() => this.exit(name, 7));
    }, 50);
  }
}

async function setUp(podLine: string, appLine?: string, systemd?: (stateDir: string) => FakeSystemd) {
  const { ctx, images } = await fakePods({ systemd: systemd ?? ((stateDir) => new FailingBoot(stateDir, podLine, appLine)) });
  const plan = await preparePod(ctx, parseRunArgs(['--mds-register=false', 'idle']), images);
  return { ctx, uuid: plan.uuid };
}

test('a pod whose systemd fails at boot is started not ready, exited, and refused with where to look', async () => {
  const { ctx, uuid } = await setUp('exit-code exited 1');
  const started = await startPod(ctx, uuid);
  assert.deepEqual(started, { uuid, ready: false });
  const status = await podStatus(ctx, uuid);
  assert.equal(status.state, 'exited');
  assert.equal(status.exitStatus, 1);
  await assert.rejects(refuseNotUp(ctx, started), (e: unknown) => {
    assert.ok(e instanceof SprocketError);
    assert.equal(e.exitCode, 254);
    assert.match(e.describe(), /^pod [0-9a-f-]{36}: the pod did not come up: it ended before it was ready \(exit status 1\)/);
    assert.match(e.describe(), new RegExp(`hint: see: sprocket status ${uuid}; journalctl -u sprocket-${uuid}\\.service`));
    return true;
  });
  // In the foreground too: no app got to exit.
  await assert.rejects(refuseNotUp(ctx, started, status), SprocketError);
});

test('an app that exited before the pod was ready: refused when detached, its own exit status in the foreground', async () => {
  const { ctx, uuid } = await setUp('exit-code exited 3', 'exit-code exited 3');
  const started = await startPod(ctx, uuid);
  await assert.rejects(refuseNotUp(ctx, started), /app idle: exit-code 3/);
  const status = await podStatus(ctx, uuid);
  assert.equal(await refuseNotUp(ctx, started, status), status);
});

test('a pod that ended cleanly before it was ready (all apps done, or stopped while starting) is not an error', async () => {
  const { ctx, uuid } = await setUp('success exited 0', 'success exited 0');
  const started = await startPod(ctx, uuid);
  assert.equal(started.ready, false);
  await refuseNotUp(ctx, started);
});

test('run -d: a pod that came up with an app that had already failed is refused once it has ended; one whose apps run is not', async () => {
  const failing = await setUp('', '', (dir) => new FailingAsReady(dir, 'exit-code exited 7'));
  const started = await startPod(failing.ctx, failing.uuid);
  assert.equal(started.ready, true);
  await assert.rejects(refuseNotUp(failing.ctx, started), (e: unknown) => {
    assert.ok(e instanceof SprocketError);
    assert.equal(e.exitCode, 254);
    assert.match(e.describe(), /the pod did not come up: it failed as it came up \(exit status 7; app idle: exit-code 7\)/);
    return true;
  });
  const running = await setUp('', '', (dir) => new FailingAsReady(dir));
  await refuseNotUp(running.ctx, await startPod(running.ctx, running.uuid));
});

test('the message quotes the pod\'s last lines and explains an exhausted inotify limit', () => {
  const status: PodStatus = { uuid: '8d3ac2d4-5b7e-4e55-9a36-2c5d0c1f1a10', state: 'exited', unit: 'sprocket-8d3ac2d4-5b7e-4e55-9a36-2c5d0c1f1a10.service', machine: 'm', created: '', exitStatus: 1, apps: [{ name: 'idle', image: IDLE_IMAGE_ID, state: 'stopped' }] };
  const text = notUpError(status, ['Failed to allocate manager object: Too many open files']).describe();
  assert.match(text, /last lines of sprocket-8d3ac2d4-[0-9a-f-]+\.service:\n {4}Failed to allocate manager object: Too many open files/);
  assert.match(text, /hint: the host is out of inotify instances .*fs\.inotify\.max_user_instances/);
  assert.doesNotMatch(notUpError(status, ['Startup finished']).describe(), /inotify/);
});
