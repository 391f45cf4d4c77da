// Issue 4, the last "Done when": one 2-app pod whose apps share an empty
// volume, with pre-start and post-stop handlers, a working directory, an
// image environment variable and the metadata service passes every check in
// one run (metadata endpoints, sign/verify, 403 for a foreign token, the
// capability bounding set, NoNewPrivs, seccomp errno, oom_score_adj, a pod
// sysctl, memory and CPU properties read back, the ignored-isolator report,
// readiness ordering). Then the app flags of run do the same from the command line.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { notifyReadyCommand } from '../support/notify.js';
import { LINUX_CAPABILITIES } from '../../src/spec/index.js';
import { useHost } from '../support/host.js';
import { assertMetadataChecks, METADATA_CHECKS } from '../support/metadata-checks.js';
import { busyboxImage, IN_HOST, onMachine, podStatusJson, sprocket, sprocketOk } from '../support/pods.js';

const MAIN = 'example.com/exec-main';
const PEER = 'example.com/exec-peer';
const NOTIFY_ANNOTATIONS = [{ name: 'appc.io/executor/supports-systemd-notify', value: 'true' }];
const RETAINED = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/** CapBnd of /proc/PID/status for these capabilities. */
const capMask = (caps: readonly string[]) =>
  caps.reduce((m, c) => m | (1n << BigInt(LINUX_CAPABILITIES.indexOf(c))), 0n).toString(16).padStart(16, '0');
/** Waits (up to 30 s) until FILE exists in the app's root; then runs the rest of the script. */
const waitFor = (file: string) => `i=0; while [ ! -f ${file} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done`;
/** What the apps write about themselves, each into /v/<app>-<what>. */
const SELF = [
  'echo "$(pwd) $IMAGE_VAR" >/v/$AC_APP_NAME-env',
  'busybox grep -E "^(CapBnd|NoNewPrivs):" /proc/self/status >/v/$AC_APP_NAME-status',
  'busybox mkdir /tmp/x 2>/v/$AC_APP_NAME-mkdir && echo made >/v/$AC_APP_NAME-mkdir',
  'cat /proc/self/oom_score_adj >/v/$AC_APP_NAME-oom',
  'cat /proc/sys/kernel/msgmax >/v/$AC_APP_NAME-msgmax',
].join('\n');
const sh = (script: string) => ['/bin/sh', '-c', script];
const handler = (name: string, word: string) => ({ name, exec: sh(`echo ${word} >>/v/handlers`) });

describe('executor: everything of issue 4 in one pod', () => {
  const host = useHost('e2e-executor');
  const podFile = (uuid: string, ...rel: string[]) => onMachine(host(), path.join(IN_HOST, 'pods', uuid, ...rel));
  const shared = (uuid: string, file: string) => readFile(podFile(uuid, 'volumes', 'shared', file), 'utf8');
  /** A property of a unit of the pod's systemd, read over its private bus. */
  const podUnitProperty = async (machine: string, unit: string, property: string) => {
    const leader = (await host().run(['machinectl', 'show', '-p', 'Leader', '--value', machine])).trim();
    return (await host().run(['nsenter', '-t', leader, '-a', 'systemctl', 'show', '-p', property, '--value', unit])).trim();
  };
  const hasMemoryController = async () => (await host().run(['cat', '/sys/fs/cgroup/cgroup.controllers'])).trim().split(/\s+/).includes('memory');
  let notify = '';

  before(async () => {
    notify = await notifyReadyCommand();
    await busyboxImage(host(), MAIN, {
      annotations: NOTIFY_ANNOTATIONS,
      app: {
        exec: sh([SELF, METADATA_CHECKS, 'echo ping >/v/ping', waitFor('/v/pong'), 'echo sent >/v/ready-sent', notify, waitFor('/v/done')].join('\n')),
        user: '0', group: '0', workingDirectory: '/srv',
        environment: [{ name: 'IMAGE_VAR', value: 'from-image' }],
        eventHandlers: [handler('pre-start', 'pre'), handler('post-stop', 'post')],
        mountPoints: [{ name: 'shared', path: '/v' }],
        isolators: [
          { name: 'os/linux/capabilities-retain-set', value: { set: RETAINED } },
          { name: 'os/linux/no-new-privileges', value: true },
          { name: 'os/linux/seccomp-remove-set', value: { set: ['mkdir', 'mkdirat'], errno: 'ENAMETOOLONG' } },
          { name: 'os/linux/oom-score-adj', value: 345 },
          { name: 'resource/memory', value: { limit: '64Mi' } },
          { name: 'resource/cpu', value: { limit: '500m' } },
          { name: 'resource/block-bandwidth', value: { default: true, limit: '1M' } },
        ],
      },
    });
    await busyboxImage(host(), PEER, {
      app: {
        exec: sh([waitFor('/v/ping'), SELF, 'echo pong >/v/pong'].join('\n')), user: '0', group: '0',
        mountPoints: [{ name: 'shared', path: '/v' }],
      },
    });
  });

  it('sprocket gc on a fresh state directory (no pods/ yet) succeeds and collects nothing', async () => {
    const r = await sprocket(host(), ['--dir', '/var/lib/sprocket-fresh', 'gc', '--grace-period', '0s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
  });

  it('a 2-app pod with a shared empty volume, handlers, working directory, image environment and the metadata service passes every check in one run', async () => {
    const manifest = `${IN_HOST}/executor-pod.json`;
    await writeFile(onMachine(host(), manifest), JSON.stringify({
      acKind: 'PodManifest', acVersion: '0.8.11',
      apps: [{ name: 'main', image: { name: MAIN } }, { name: 'peer', image: { name: PEER } }],
      volumes: [{ name: 'shared', kind: 'empty', mode: '0777' }],
      isolators: [{ name: 'os/unix/sysctl', value: { 'kernel.msgmax': '12345' } }],
    }));
    const prepared = await sprocket(host(), ['prepare', '--pod-manifest', manifest]);
    assert.equal(prepared.code, 0, prepared.stderr);
    const uuid = prepared.stdout.trim();
    // The token of a pod that was registered, then removed.
    const other = (await sprocketOk(host(), ['prepare', '--volume', 'shared,kind=empty', PEER])).trim();
    await writeFile(podFile(uuid, 'volumes', 'shared', 'foreign-token'), await readFile(podFile(other, 'metadata', 'token')));
    await sprocketOk(host(), ['rm', other]);

    // run -d returns once the pod is ready: after main said READY=1, which it does after the peer answered.
    await sprocketOk(host(), ['run-prepared', '-d', uuid]);
    assert.equal(await shared(uuid, 'ready-sent'), 'sent\n', 'ready only after READY=1');
    assert.equal(await shared(uuid, 'pong'), 'pong\n');
    const status = await podStatusJson(host(), uuid);
    assert.equal(status.state, 'running');
    assert.equal(await podUnitProperty(status.machine, 'main.service', 'MemoryMax'), String(64 * 2 ** 20));
    assert.equal(await podUnitProperty(status.machine, 'main.service', 'CPUQuotaPerSecUSec'), '500ms');
    assert.equal(await podUnitProperty(status.machine, 'main.service', 'Type'), 'notify');
    await writeFile(podFile(uuid, 'volumes', 'shared', 'done'), '');
    const ended = await sprocket(host(), ['status', '--wait', '30s', '--format', 'json', uuid]);
    assert.equal(ended.code, 0, ended.stderr);
    const final = JSON.parse(ended.stdout) as { state: string; exitStatus?: number };
    assert.deepEqual([final.state, final.exitStatus], ['exited', 0]);

    // The report: what this host cannot enforce is named.
    assert.match(prepared.stderr, /^sprocket: app main: isolator resource\/block-bandwidth ignored: /m);
    const memory = (await hasMemoryController()) ? 'enforced: MemoryMax=67108864$' : 'ignored: MemoryMax=67108864 is set, but this host gives pods no cgroup memory controller$';
    assert.match(prepared.stderr, new RegExp(`^sprocket: app main: isolator resource/memory ${memory}`, 'm'));

    assert.equal(await shared(uuid, 'handlers'), 'pre\npost\n');
    assert.equal(await shared(uuid, 'main-env'), '/srv from-image\n');
    assert.equal(await shared(uuid, 'peer-env'), '/ \n');
    assert.equal(await shared(uuid, 'main-status'), `CapBnd:\t${capMask(RETAINED)}\nNoNewPrivs:\t1\n`);
    assert.match(await shared(uuid, 'peer-status'), /NoNewPrivs:\t0\n$/);
    assert.match(await shared(uuid, 'main-mkdir'), /File name too long/);
    assert.equal(await shared(uuid, 'peer-mkdir'), 'made\n');
    assert.equal(await shared(uuid, 'main-oom'), '345\n');
    assert.equal(await shared(uuid, 'peer-oom'), '0\n');
    assert.equal(await shared(uuid, 'main-msgmax'), '12345\n');
    assert.equal(await shared(uuid, 'peer-msgmax'), '12345\n');
    await assertMetadataChecks(podFile(uuid, 'volumes', 'shared'), {
      uuid, manifestFile: podFile(uuid, 'pod'), imageName: MAIN, appAnnotations: NOTIFY_ANNOTATIONS,
    });
  });

  it('app flags of run: --memory read back, --caps-retain, --seccomp errno, --oom-score-adj; --set-env-file and --inherit-env', async () => {
    const envFile = `${IN_HOST}/executor.env`;
    await writeFile(onMachine(host(), envFile), '# for every app\nFROM_FILE=file\nBOTH=file\n');
    const script = [
      'echo "$FROM_FILE $FROM_CLI $BOTH $IMAGE_VAR" >/v/$AC_APP_NAME-flags-env', SELF, 'echo written >/v/written', waitFor('/v/done'),
    ].join('\n');
    const r = await sprocket(host(), [
      'run', '-d', '--inherit-env', '--set-env-file', envFile, '--set-env', 'BOTH=set-env', '--volume', 'shared,kind=empty,mode=0777',
      PEER, '--name', 'flagged', '--memory', '32Mi', '--caps-retain', 'CAP_CHOWN,CAP_KILL', '--seccomp', 'mode=remove,errno=ENAMETOOLONG,mkdir,mkdirat',
      '--oom-score-adj', '123', '--exec', '/bin/sh', '--', '-c', script,
    ], { env: { FROM_CLI: 'cli', BOTH: 'cli' } });
    assert.equal(r.code, 0, r.stderr);
    const uuid = r.stdout.trim();
    for (let i = 0; i < 100 && !(await stat(podFile(uuid, 'volumes', 'shared', 'written')).catch(() => undefined)); i++) await sleep(100);
    const status = await podStatusJson(host(), uuid);
    assert.equal(await podUnitProperty(status.machine, 'flagged.service', 'MemoryMax'), String(32 * 2 ** 20));
    await writeFile(podFile(uuid, 'volumes', 'shared', 'done'), '');
    assert.equal((await sprocket(host(), ['status', '--wait', '30s', uuid])).code, 0);

    assert.equal(await shared(uuid, 'flagged-flags-env'), 'file cli set-env \n');
    assert.equal(await shared(uuid, 'flagged-status'), `CapBnd:\t${capMask(['CAP_CHOWN', 'CAP_KILL'])}\nNoNewPrivs:\t0\n`);
    assert.match(await shared(uuid, 'flagged-mkdir'), /File name too long/);
    assert.equal(await shared(uuid, 'flagged-oom'), '123\n');
    const reified = JSON.parse(await readFile(podFile(uuid, 'pod'), 'utf8')) as { apps: { app: { isolators: { name: string }[] } }[] };
    assert.deepEqual(reified.apps[0]!.app.isolators.map((i) => i.name), [
      'resource/memory', 'os/linux/capabilities-retain-set', 'os/linux/seccomp-remove-set', 'os/linux/oom-score-adj',
    ]);
  });
});
