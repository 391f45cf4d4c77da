// Proves stage1 on real systemd: plans written by hand (as src/pod will
// build them) for busybox pods, booted in a test host through the stage1
// root writer, the host unit properties and src/systemd.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { appEnvironment, parsePodPlan, podMachine, podUnit, type PodPlan } from '../../stage1-nspawn/plan.js';
import { CHECKOUT, useHost } from '../support/host.js';

const IN_HOST = '/var/lib/sprocket';
const BUSYBOX_APPLETS = ['sh', 'echo', 'sleep', 'cat', 'ps', 'touch', 'id', 'kill'];

type AppInput = { name: string; exec: string[]; env?: { name: string; value: string }[] } & Record<string, unknown>;

describe('stage1: pods booted in a test host', () => {
  const host = useHost('e2e-stage1');
  const onMachine = (p: string) => path.join(host().stateDir, path.relative(IN_HOST, p));

  before(async () => {
    // A busybox image tree: the overlay's lower dir of every app.
    const tree = onMachine(`${IN_HOST}/tree`);
    await mkdir(path.join(tree, 'bin'), { recursive: true });
    await mkdir(path.join(tree, 'etc'));
    await copyFile('/bin/busybox', path.join(tree, 'bin/busybox'));
    for (const a of BUSYBOX_APPLETS) await symlink('busybox', path.join(tree, 'bin', a));
    await writeFile(path.join(tree, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    await writeFile(path.join(tree, 'etc/group'), 'root:x:0:\n');
    await mkdir(onMachine(`${IN_HOST}/hostvol`));
  });

  function plan(apps: AppInput[], volumes: unknown[] = []): PodPlan {
    const uuid = randomUUID();
    const podDir = `${IN_HOST}/pods/${uuid}`;
    return parsePodPlan({
      uuid, machine: podMachine(uuid), unit: podUnit(uuid), podDir, stage1Root: `${podDir}/stage1`, volumes,
      apps: apps.map(({ env, ...a }) => ({
        imageId: 'sha512-test', tree: `${IN_HOST}/tree`, uid: 0, gid: 0, ...a,
        environment: appEnvironment({ app: a.name, flags: env }),
      })),
    });
  }

  async function planFile(p: PodPlan): Promise<string> {
    const file = `${IN_HOST}/plan-${p.uuid}.json`;
    await writeFile(onMachine(file), JSON.stringify(p));
    return file;
  }

  async function start(p: PodPlan): Promise<void> {
    await host().run(['node', path.join(CHECKOUT, 'dist/test/support/stage1-start.js'), await planFile(p)]);
  }

  /** Waits for the pod's end; returns pod-exit and the status record of each app. */
  async function ended(p: PodPlan): Promise<{ pod: string; apps: Record<string, string> }> {
    const podExit = onMachine(path.join(p.podDir, 'pod-exit'));
    for (let i = 0; i < 300; i++) {
      try {
        await access(podExit);
        break;
      } catch {
        await sleep(100);
      }
    }
    const apps: Record<string, string> = {};
    for (const a of p.apps) apps[a.name] = (await readFile(onMachine(`${p.podDir}/status/${a.name}`), 'utf8')).trim();
    return { pod: (await readFile(podExit, 'utf8')).trim(), apps };
  }

  const shared = (p: PodPlan, file: string) => readFile(onMachine(`${p.podDir}/volumes/shared/${file}`), 'utf8');

  it('runs two apps that share PIDs and a volume, with handlers, env, logs and read-only mounts', async () => {
    const p = plan(
      [
        {
          name: 'first',
          supplementaryGids: [10, 20],
          env: [{ name: 'X', value: 'a "b" $c 50% \\d' }],
          preStart: ['/bin/sh', '-c', 'echo pre >>/shared/order'],
          exec: ['/bin/sh', '-c', [
            'echo run >>/shared/order', 'echo hello >/shared/from-first', 'sleep 0.7', 'ps >/shared/ps',
            'echo "$X|$AC_APP_NAME|$container|$1" >/shared/env', 'id -G >/shared/groups',
            'if touch /ro/x 2>/dev/null; then echo writable; else echo refused; fi >/shared/ro-volume',
            'echo out-line; echo err-line >&2',
          ].join('; '), 'sh', '$HOME;%n'],
          postStop: ['/bin/sh', '-c', 'echo post >>/shared/order'],
          mounts: [{ volume: 'shared', target: '/shared', readOnly: false }, { volume: 'hostvol', target: '/ro', readOnly: true }],
        },
        {
          name: 'second',
          readOnlyRootFS: true,
          exec: ['/bin/sh', '-c', [
            'sleep 1.5', 'cat /shared/from-first >/shared/seen-by-second',
            'if touch /rootfile 2>/dev/null; then echo writable; else echo refused; fi >/shared/root',
          ].join('; ')],
          mounts: [{ volume: 'shared', target: '/shared', readOnly: false }],
        },
      ],
      [{ name: 'shared', kind: 'empty', mode: 0o777 }, { name: 'hostvol', kind: 'host', source: `${IN_HOST}/hostvol` }],
    );
    await start(p);
    assert.match(await host().run(['machinectl', 'list', '--no-legend']), new RegExp(p.machine));
    assert.deepEqual(await ended(p), { pod: 'success exited 0', apps: { first: 'success exited 0', second: 'success exited 0' } });

    assert.equal(await shared(p, 'order'), 'pre\nrun\npost\n');
    assert.match(await shared(p, 'ps'), /sleep 1\.5/, 'first sees the processes of second');
    assert.equal(await shared(p, 'seen-by-second'), 'hello\n');
    assert.equal(await shared(p, 'env'), 'a "b" $c 50% \\d|first|sprocket|$HOME;%n\n');
    assert.deepEqual((await shared(p, 'groups')).trim().split(' ').sort(), ['0', '10', '20']);
    assert.equal(await shared(p, 'ro-volume'), 'refused\n');
    assert.equal(await shared(p, 'root'), 'refused\n', 'read-only root, writable volume');

    await host().run(['journalctl', '--sync']);
    const lines = (await host().run(['journalctl', '-o', 'json', '--no-pager', `_SYSTEMD_UNIT=${p.unit}`, 'SYSLOG_IDENTIFIER=first']))
      .trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    const line = (m: string) => lines.find((l) => l.MESSAGE === m);
    assert.equal(line('out-line')?.PRIORITY, '6');
    assert.equal(line('err-line')?.PRIORITY, '3');
    assert.equal(line('out-line')?.SPROCKET_POD, p.uuid);
  });

  /** The journal entries of an app found by the pod's host unit and its SPROCKET_POD: [MESSAGE, PRIORITY]. */
  async function logged(p: PodPlan, app: string): Promise<string[][]> {
    const out = await host().run(['journalctl', '-o', 'json', '--no-pager', `_SYSTEMD_UNIT=${p.unit}`, `SPROCKET_POD=${p.uuid}`, `SYSLOG_IDENTIFIER=${app}`]);
    return out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>).map((e) => [e.MESSAGE!, e.PRIORITY!]);
  }

  it('logs every line of apps that exit at once with the pod\'s fields, 1000 lines included, every time', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => [`line-${i}`, '6']);
    for (let round = 0; round < 3; round++) {
      const p = plan([
        { name: 'quick', exec: ['/bin/sh', '-c', 'echo out; echo err >&2; printf no-newline'] },
        { name: 'many', exec: ['/bin/sh', '-c', 'i=0; while [ $i -lt 1000 ]; do echo line-$i; i=$((i+1)); done'] },
      ]);
      // Apps this quick may end the pod before it reported ready: then, and only then, its start job fails (its exit record is there, as src/pod takes it).
      const started = await host().exec(['node', path.join(CHECKOUT, 'dist/test/support/stage1-start.js'), await planFile(p)]);
      if (started.code !== 0) assert.match(started.stderr, /start transient unit: job (failed|canceled)/, started.stderr);
      const { pod, apps } = await ended(p);
      assert.match(pod, /^(success|protocol) exited 0$/);
      assert.deepEqual(apps, { quick: 'success exited 0', many: 'success exited 0' });
      await host().run(['journalctl', '--sync']);
      // Two streams: their lines may interleave either way.
      assert.deepEqual((await logged(p, 'quick')).sort(), [['err', '3'], ['no-newline', '6'], ['out', '6']], `round ${round}`);
      assert.deepEqual(await logged(p, 'many'), many, `round ${round}`);
    }
  });

  it('ends the pod with the code of a failing app and records the others as stopped', async () => {
    const p = plan([
      { name: 'one', exec: ['/bin/sleep', '30'] },
      { name: 'fails', exec: ['/bin/sh', '-c', 'sleep 0.5; exit 5'] },
      { name: 'three', exec: ['/bin/sleep', '30'] },
    ]);
    await start(p);
    assert.deepEqual(await ended(p), {
      pod: 'exit-code exited 5',
      apps: { one: 'success killed TERM', fails: 'exit-code exited 5', three: 'success killed TERM' },
    });
  });

  it('stops cleanly with systemctl stop, every app recorded', async () => {
    const p = plan([{ name: 'one', exec: ['/bin/sleep', '30'] }, { name: 'two', exec: ['/bin/sleep', '30'] }]);
    await start(p);
    await host().run(['systemctl', 'stop', p.unit]);
    assert.deepEqual(await ended(p), { pod: 'success exited 0', apps: { one: 'success killed TERM', two: 'success killed TERM' } });
  });
});
