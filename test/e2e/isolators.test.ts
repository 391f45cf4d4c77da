// Isolators, sensitive paths and readiness in a test host (issue 4, "Done
// when"): busybox apps look at themselves from inside the pod.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_CAPABILITIES } from '../../stage1-nspawn/isolators.js';
import { notifyReadyCommand } from '../support/notify.js';
import { LINUX_CAPABILITIES } from '../../src/spec/index.js';
import { useHost } from '../support/host.js';
import { busyboxImage, IN_HOST, onMachine, podStatusJson, sprocket, sprocketOk } from '../support/pods.js';

const PROBE = 'example.com/iso-probe';
const LIMITS = 'example.com/iso-limits';
const NOTIFY = 'example.com/iso-notify';
/** An image whose own seccomp set (@system-service) allows unshare(2), which sprocket's default filter denies. */
const UNSHARE = 'example.com/iso-unshare';
/** An app that plays device attacks, then reads its limits and floods its journal. */
const DEVICES = 'example.com/iso-devices';
/** Written to a kmsg device made in the pod: it must never reach the (shared) kernel log. */
const KMSG_MARK = `sprocket-kmsg-attack-${process.pid}`;

/** CapBnd of /proc/PID/status for these capabilities. */
const capMask = (caps: readonly string[]) =>
  caps.reduce((m, c) => m | (1n << BigInt(LINUX_CAPABILITIES.indexOf(c))), 0n).toString(16).padStart(16, '0');

const sh = (script: string) => ['/bin/sh', '-c', script];
const PROBE_SCRIPT = [
  'busybox grep -E "^(CapBnd|NoNewPrivs):" /proc/self/status >/out/$AC_APP_NAME-status',
  'busybox mkdir /tmp/x 2>/out/$AC_APP_NAME-mkdir && echo made >/out/$AC_APP_NAME-mkdir',
  'cat /proc/self/oom_score_adj >/out/$AC_APP_NAME-oom',
  'cat /proc/sys/kernel/msgmax >/out/$AC_APP_NAME-msgmax',
  // The pod's IPC namespace: harmless to write when the paths are open.
  'if echo 4321 2>/dev/null >/proc/sys/kernel/msgmni; then echo writable; else echo protected; fi >/out/$AC_APP_NAME-procsys',
  'busybox grep -oE " /(proc/sys|proc/sysrq-trigger|sys/firmware) [a-z]+" /proc/self/mountinfo >/out/$AC_APP_NAME-masks || true',
  // unshare(2) of no namespace: any process may (nspawn's own filter allows it), unless sprocket's default filter denies it.
  'if busybox unshare true 2>/out/$AC_APP_NAME-unshare; then echo allowed >/out/$AC_APP_NAME-unshare; fi',
].join('; ');

// Each attack leaves its errors in /out/NAME, and "done" when it went through.
const DEVICE_SCRIPT = [
  `if busybox mknod /dev/kmsg-made c 1 11 2>/out/kmsg; then echo ${KMSG_MARK} 2>>/out/kmsg >/dev/kmsg-made && echo done >>/out/kmsg; fi`,
  'if busybox mknod /dev/loop-made b 7 0 2>/out/loop; then busybox head -c1 /dev/loop-made 2>>/out/loop >/dev/null && echo done >>/out/loop; fi',
  'if busybox mknod /dev/loop-control-made c 10 237 2>/out/loop-control; then true 2>>/out/loop-control </dev/loop-control-made && echo done >>/out/loop-control; fi',
  '{ ulimit -Hn; ulimit -Sn; } >/out/nofile',
  // Forks beyond the pod's TasksMax fail ($FORKS: 0 where there is no pids controller to stop them).
  'n=0; while [ $n -lt "$FORKS" ]; do sleep 60 & n=$((n+1)); done 2>/out/forks',
  'n=0; while [ $n -lt 300 ]; do echo flood-$n; n=$((n+1)); done; sleep 2; echo flood-over',
  'exec sleep 60',
].join('\n');

describe('isolators: enforced inside the pod, reported, readiness', () => {
  const host = useHost('e2e-isolators');
  const pods = () => onMachine(host(), `${IN_HOST}/pods`);
  const out = (uuid: string, file: string) => readFile(path.join(pods(), uuid, 'volumes', 'out', file), 'utf8');
  const manifest = async (name: string, body: Record<string, unknown>) => {
    const file = `${IN_HOST}/${name}.json`;
    await writeFile(onMachine(host(), file), JSON.stringify({ acKind: 'PodManifest', acVersion: '0.8.11', volumes: [{ name: 'out', kind: 'empty', mode: '0777' }], ...body }));
    return file;
  };
  const mountOut = { mounts: [{ volume: 'out', path: '/out' }] };
  /** The value of a property read over D-Bus: the pod's systemd (its private bus) or the host's. */
  const podUnitProperty = async (machine: string, unit: string, property: string) => {
    const leader = (await host().run(['machinectl', 'show', '-p', 'Leader', '--value', machine])).trim();
    return (await host().run(['nsenter', '-t', leader, '-a', 'systemctl', 'show', '-p', property, '--value', unit])).trim();
  };
  const hostUnitProperty = async (unit: string, property: string) => (await host().run(['systemctl', 'show', '-p', property, '--value', unit])).trim();

  before(async () => {
    await busyboxImage(host(), PROBE, {
      app: {
        exec: sh(PROBE_SCRIPT), user: '0', group: '0',
        isolators: [
          { name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'] } },
          { name: 'os/linux/no-new-privileges', value: true },
          { name: 'os/linux/seccomp-remove-set', value: { set: ['mkdir', 'mkdirat'], errno: 'ENAMETOOLONG' } },
          { name: 'os/linux/oom-score-adj', value: 345 },
        ],
      },
    });
    await busyboxImage(host(), LIMITS, {
      app: {
        exec: ['/bin/sleep', '60'], user: '0', group: '0',
        isolators: [
          { name: 'resource/memory', value: { request: '16Mi', limit: '64Mi' } },
          { name: 'resource/cpu', value: { limit: '500m' } },
          { name: 'resource/block-bandwidth', value: { default: true, limit: '1M' } },
        ],
      },
    });
    await busyboxImage(host(), UNSHARE, {
      app: { exec: sh(PROBE_SCRIPT), user: '0', group: '0', isolators: [{ name: 'os/linux/seccomp-retain-set', value: { set: ['@system-service'], errno: 'EPERM' } }] },
    });
    await busyboxImage(host(), DEVICES, { app: { exec: sh(DEVICE_SCRIPT), user: '0', group: '0', environment: [{ name: 'FORKS', value: '0' }] } });
    const notify = await notifyReadyCommand();
    await busyboxImage(host(), NOTIFY, {
      annotations: [{ name: 'appc.io/executor/supports-systemd-notify', value: 'true' }],
      app: { exec: sh(`sleep 2; echo sent >/out/ready-sent; ${notify}; sleep 60`), user: '0', group: '0' },
    });
  });

  it("enforces capabilities, no-new-privileges, seccomp errno and sprocket's default filter, oom-score-adj, a pod sysctl and sensitive paths (an app without isolators beside)", async () => {
    const operatorSet = { name: 'os/linux/seccomp-remove-set', value: { set: ['mkdir'], errno: 'ENOSYS' } };
    const file = await manifest('probe', {
      apps: [
        { name: 'probe', image: { name: PROBE }, ...mountOut },
        { name: 'plain', image: { name: PROBE }, app: { exec: sh(PROBE_SCRIPT), user: '0', group: '0' }, ...mountOut },
        { name: 'unshare', image: { name: UNSHARE }, ...mountOut },
        { name: 'operator', image: { name: PROBE }, app: { exec: sh(PROBE_SCRIPT), user: '0', group: '0', isolators: [operatorSet] }, ...mountOut },
      ],
      isolators: [{ name: 'os/unix/sysctl', value: { 'kernel.msgmax': '12345' } }],
    });
    const uuidFile = `${IN_HOST}/probe.uuid`;
    const r = await sprocket(host(), ['run', '--uuid-file-save', uuidFile, '--pod-manifest', file]);
    assert.equal(r.code, 0, r.stderr);
    const uuid = (await readFile(onMachine(host(), uuidFile), 'utf8')).trim();

    assert.equal(await out(uuid, 'probe-status'), `CapBnd:\t${capMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'])}\nNoNewPrivs:\t1\n`);
    assert.equal(await out(uuid, 'plain-status'), `CapBnd:\t${capMask(DEFAULT_CAPABILITIES)}\nNoNewPrivs:\t0\n`);
    assert.match(await out(uuid, 'probe-mkdir'), /File name too long/);
    assert.equal(await out(uuid, 'plain-mkdir'), 'made\n');
    assert.equal(await out(uuid, 'probe-oom'), '345\n');
    assert.equal(await out(uuid, 'plain-oom'), '0\n');
    assert.equal(await out(uuid, 'probe-msgmax'), '12345\n', 'the pod sysctl is visible in every app');
    assert.equal(await out(uuid, 'plain-msgmax'), '12345\n');
    assert.match(await out(uuid, 'plain-masks'), /^ \/proc\/sys ro\n(.*\n)* \/sys\/firmware ro\n$/);
    assert.equal(await out(uuid, 'plain-procsys'), 'protected\n');
    assert.notEqual((await host().run(['cat', '/proc/sys/kernel/msgmax'])).trim(), '12345', 'the host keeps its own value');
    // sprocket's default seccomp filter: EPERM without a set of the app's own; an image's own set only narrows it
    // (its errno for the whole filter), even one that allows unshare; the operator's own set replaces it.
    assert.match(await out(uuid, 'plain-unshare'), /Operation not permitted/);
    assert.match(await out(uuid, 'probe-unshare'), /File name too long/);
    assert.match(await out(uuid, 'unshare-unshare'), /Operation not permitted/);
    assert.equal(await out(uuid, 'unshare-mkdir'), 'made\n', "the image's set allows the rest of @system-service");
    assert.equal(await out(uuid, 'operator-unshare'), 'allowed\n');
    assert.match(await out(uuid, 'operator-mkdir'), /Function not implemented/);
  });

  it("leaves sensitive paths open with --insecure-options=paths, and no default seccomp filter with seccomp (images' sets as written)", async () => {
    const file = await manifest('open', {
      apps: [
        { name: 'plain', image: { name: PROBE }, app: { exec: sh(PROBE_SCRIPT), user: '0', group: '0' }, ...mountOut },
        { name: 'unshare', image: { name: UNSHARE }, ...mountOut },
      ],
    });
    const uuidFile = `${IN_HOST}/open.uuid`;
    const r = await sprocket(host(), ['run', '--insecure-options=paths,seccomp', '--uuid-file-save', uuidFile, '--pod-manifest', file]);
    assert.equal(r.code, 0, r.stderr);
    const uuid = (await readFile(onMachine(host(), uuidFile), 'utf8')).trim();
    assert.equal(await out(uuid, 'plain-procsys'), 'writable\n');
    assert.equal(await out(uuid, 'plain-masks'), '');
    assert.equal(await out(uuid, 'plain-unshare'), 'allowed\n');
    assert.equal(await out(uuid, 'unshare-unshare'), 'allowed\n');
  });

  it("keeps apps apart: an app cannot read a sibling's /proc/PID/environ nor create a file in its root through /proc/PID/root (root with appc's default capabilities, and one non-root uid for both); with --share-processes it can", async () => {
    // Each victim waits for its attacker's verdict; each attacker plays the attack from inside the pod.
    const waitFor = (file: string) => `i=0; while [ ! -e ${file} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done`;
    const victim = sh(`echo $$ >/out/$AC_APP_NAME.pid; ${waitFor('/out/$PEER.result')}`);
    const attacker = sh([
      `${waitFor('/out/$PEER.pid')}; T=$(cat /out/$PEER.pid)`,
      '{ if busybox grep -q SECRET= /proc/$T/environ; then echo environ=read; else echo environ=denied; fi',
      'if touch /proc/$T/root/drop/$AC_APP_NAME; then echo root=written; else echo root=denied; fi; } >/out/$AC_APP_NAME.tmp 2>&1',
      'busybox mv /out/$AC_APP_NAME.tmp /out/$AC_APP_NAME.result',
    ].join('; '));
    const share = [{ name: 'sprocket.dev/share-processes', value: 'true' }];
    const pair = (name: string, [user, group]: [string, string], shared: boolean) => [
      { name: `${name}-victim`, exec: victim, peer: `${name}-attacker`, extra: [{ volume: 'drop', path: '/drop' }] },
      { name: `${name}-attacker`, exec: attacker, peer: `${name}-victim`, extra: [] },
    ].map((a) => ({
      name: a.name, image: { name: PROBE },
      app: { exec: a.exec, user, group, environment: [{ name: 'PEER', value: a.peer }, { name: 'SECRET', value: 'hunter2' }] },
      mounts: [{ volume: 'out', path: '/out' }, ...a.extra],
      ...(shared ? { annotations: share } : {}),
    }));
    const file = await manifest('apart', {
      apps: [...pair('root', ['0', '0'], false), ...pair('user', ['33', '34'], false), ...pair('shared', ['0', '0'], true), ...pair('shared-user', ['33', '34'], true)],
      volumes: [{ name: 'out', kind: 'empty', mode: '0777' }, { name: 'drop', kind: 'empty', mode: '1777' }],
    });
    const uuidFile = `${IN_HOST}/apart.uuid`;
    const r = await sprocket(host(), ['run', '--uuid-file-save', uuidFile, '--pod-manifest', file]);
    assert.equal(r.code, 0, r.stderr);
    const uuid = (await readFile(onMachine(host(), uuidFile), 'utf8')).trim();
    const verdict = (app: string) => out(uuid, `${app}.result`).then((t) => t.split('\n').filter((l) => /^(environ|root)=/.test(l)).join(' '));
    assert.equal(await verdict('root-attacker'), 'environ=denied root=denied');
    assert.equal(await verdict('user-attacker'), 'environ=denied root=denied');
    assert.equal(await verdict('shared-attacker'), 'environ=read root=written');
    assert.equal(await verdict('shared-user-attacker'), 'environ=read root=written');
    assert.deepEqual((await readdir(path.join(pods(), uuid, 'volumes', 'drop'))).sort(), ['shared-attacker', 'shared-user-attacker']);
  });

  it('sets memory and CPU limits that read back over D-Bus (this machine has no cgroup2 resource controllers: enforcement is checked only where one exists) and reports what is ignored', async () => {
    const file = await manifest('limits', {
      apps: [{ name: 'limits', image: { name: LIMITS } }],
      isolators: [{ name: 'resource/memory', value: { limit: '256Mi' } }],
    });
    const r = await sprocket(host(), ['run', '-d', '--pod-manifest', file]);
    assert.equal(r.code, 0, r.stderr);
    const uuid = r.stdout.trim();
    const status = await podStatusJson(host(), uuid);
    assert.equal(await podUnitProperty(status.machine, 'limits.service', 'MemoryMax'), String(64 * 2 ** 20));
    assert.equal(await podUnitProperty(status.machine, 'limits.service', 'MemoryLow'), String(16 * 2 ** 20));
    assert.equal(await podUnitProperty(status.machine, 'limits.service', 'CPUQuotaPerSecUSec'), '500ms');
    assert.equal(await hostUnitProperty(status.unit, 'MemoryMax'), String(256 * 2 ** 20));

    const controllers = (await host().run(['cat', '/sys/fs/cgroup/cgroup.controllers'])).trim().split(/\s+/);
    assert.match(r.stderr, /^sprocket: app limits: isolator resource\/block-bandwidth ignored: /m);
    if (controllers.includes('memory')) {
      assert.match(r.stderr, /^sprocket: app limits: isolator resource\/memory enforced: MemoryMax=67108864$/m);
      const cgroup = (await podUnitProperty(status.machine, 'limits.service', 'ControlGroup'));
      const leader = (await host().run(['machinectl', 'show', '-p', 'Leader', '--value', status.machine])).trim();
      assert.equal((await host().run(['nsenter', '-t', leader, '-a', 'cat', `/sys/fs/cgroup${cgroup}/memory.max`])).trim(), String(64 * 2 ** 20));
    } else {
      assert.match(r.stderr, /^sprocket: app limits: isolator resource\/memory ignored: MemoryMax=67108864 is set, but this host gives pods no cgroup memory controller$/m);
      assert.match(r.stderr, /^sprocket: pod: isolator resource\/memory ignored: MemoryMax=268435456 is set/m);
    }
    const text = await sprocketOk(host(), ['status', uuid]);
    assert.match(text, /^app-limits-isolator=resource\/block-bandwidth ignored: sprocket does not enforce bandwidth or I\/O limits$/m);
    // Enforced exactly where the host gives pods a cpu controller (CPUQuota= needs it), reported as ignored elsewhere.
    assert.match(text, new RegExp(`^app-limits-isolator=resource/cpu ${controllers.includes('cpu') ? 'enforced' : 'ignored'}: CPUQuota=50%`, 'm'));
    await sprocketOk(host(), ['stop', uuid]);
  });

  /** A pod of DEVICES, detached, once its app has read its limits; the host's view of its unit. */
  const devicePod = async (flags: string[]) => {
    const r = await sprocket(host(), ['run', '-d', ...flags, '--volume', 'out,kind=empty,mode=0777', DEVICES, '--mount', 'volume=out,target=/out']);
    assert.equal(r.code, 0, r.stderr);
    const uuid = r.stdout.trim();
    for (let i = 0; i < 100 && !(await out(uuid, 'nofile').catch(() => '')).includes('\n'); i++) await sleep(100);
    const unit = (await podStatusJson(host(), uuid)).unit;
    return { uuid, unit, show: (p: string) => hostUnitProperty(unit, p) };
  };

  it("a default app can neither make and write a kmsg device nor open a loop device: the pod's unit has nspawn's closed device list (read back over D-Bus; this test host enforces it with cgroup2 BPF device programs)", async () => {
    const pod = await devicePod([]);
    assert.equal(await pod.show('DevicePolicy'), 'closed');
    // systemd lists them last first.
    assert.deepEqual((await host().run(['systemctl', 'show', '-p', 'DeviceAllow', pod.unit])).trim().split('\n').reverse(), [
      'DeviceAllow=/dev/null rwm', 'DeviceAllow=/dev/zero rwm', 'DeviceAllow=/dev/full rwm', 'DeviceAllow=/dev/random rwm',
      'DeviceAllow=/dev/urandom rwm', 'DeviceAllow=/dev/tty rwm', 'DeviceAllow=/dev/net/tun rwm', 'DeviceAllow=char-pts rw',
    ]);
    for (const attack of ['kmsg', 'loop', 'loop-control']) {
      const text = await out(pod.uuid, attack);
      assert.doesNotMatch(text, /done/, `${attack}: ${text}`);
      // EPERM from the device policy; a block device may be refused first by the apps' own domain (EACCES).
      assert.match(text, /mknod: .*: (Operation not permitted|Permission denied)/, attack);
    }
    const { stdout: kernelLog } = await promisify(execFile)('dmesg', [], { maxBuffer: 64 * 2 ** 20 });
    assert.ok(!kernelLog.includes(KMSG_MARK), "the app's line is not in the kernel log");
    // The default limits, on the same unit.
    assert.deepEqual(await Promise.all(['TasksMax', 'LimitNOFILE', 'LimitNOFILESoft', 'LogRateLimitIntervalUSec', 'LogRateLimitBurst'].map(pod.show)), ['4096', '524288', '1024', '30s', '10000']);
    // The hard limit: 524288 at most (less where the host's own is lower: this machine's is 20000).
    const [hard, soft] = (await out(pod.uuid, 'nofile')).split('\n').map(Number);
    assert.ok(hard! <= 524288 && soft === 1024, `${hard}:${soft}`);
    await sprocketOk(host(), ['stop', pod.uuid]);
  });

  it('--tasks-max, --limit-nofile and --log-rate-limit-* replace the defaults: read back over D-Bus, the app\'s open-files limit, journald drops lines beyond the burst (this test host has no cgroup2 pids controller: 2000 forks are tried only where one exists)', async () => {
    const pids = (await host().run(['cat', '/sys/fs/cgroup/cgroup.controllers'])).split(/\s+/).includes('pids');
    const pod = await devicePod(['--tasks-max=64', '--limit-nofile=256', '--log-rate-limit-interval=1s', '--log-rate-limit-burst=10', `--set-env=FORKS=${pids ? 2000 : 0}`]);
    assert.deepEqual(await Promise.all(['TasksMax', 'LimitNOFILE', 'LogRateLimitIntervalUSec', 'LogRateLimitBurst'].map(pod.show)), ['64', '256', '1s', '10']);
    assert.equal(await out(pod.uuid, 'nofile'), '256\n256\n', 'the pod systemd\'s default for its units: the app cannot raise it');
    if (pids) assert.match(await out(pod.uuid, 'forks'), /can't fork|Resource temporarily unavailable/);
    const journal = () => host().run(['journalctl', '-o', 'cat', `SPROCKET_POD=${pod.uuid}`, '+', 'SYSLOG_IDENTIFIER=systemd-journald']);
    let text = '';
    for (let i = 0; i < 100 && !text.includes('flood-over'); i++, await sleep(100)) text = await journal();
    const flood = text.split('\n').filter((l) => /^flood-\d+$/.test(l)).length;
    assert.ok(flood > 0 && flood < 300, `${flood} of 300 flood lines kept`);
    assert.match(text, new RegExp(`^Suppressed \\d+ messages from ${pod.unit.replaceAll('.', '\\.')}$`, 'm'));
    await sprocketOk(host(), ['stop', pod.uuid]);
  });

  it('--strict-isolators refuses a pod with an isolator it cannot enforce, before anything is made', async () => {
    const file = await manifest('strict', { apps: [{ name: 'limits', image: { name: LIMITS } }] });
    const before = await readdir(pods());
    const r = await sprocket(host(), ['run', '--strict-isolators', '--pod-manifest', file]);
    assert.equal(r.code, 254);
    assert.match(r.stderr, /--strict-isolators: isolators not enforced as given: .*app limits: resource\/block-bandwidth ignored/);
    assert.deepEqual(await readdir(pods()), before);
  });

  it('a notify app makes the pod ready only after READY=1; status --wait-ready waits for it', async () => {
    const file = await manifest('notify', { apps: [{ name: 'notifier', image: { name: NOTIFY }, ...mountOut }] });
    const uuid = (await sprocketOk(host(), ['prepare', '--pod-manifest', file])).trim();
    const unit = (await podStatusJson(host(), uuid)).unit;
    const starting = sprocket(host(), ['run-prepared', '-d', uuid]);
    let state = '';
    for (let i = 0; i < 50 && state !== 'activating'; i++) {
      await sleep(100);
      state = (await host().exec(['systemctl', 'is-active', unit])).stdout.trim();
    }
    assert.equal(state, 'activating', 'the pod is not ready while its notify app has not said READY=1');
    await assert.rejects(readFile(path.join(pods(), uuid, 'volumes', 'out', 'ready-sent')));
    const ready = await sprocket(host(), ['status', '--wait-ready', '20s', uuid]);
    assert.equal(ready.code, 0, ready.stderr);
    assert.equal(await out(uuid, 'ready-sent'), 'sent\n');
    assert.equal((await host().exec(['systemctl', 'is-active', unit])).stdout.trim(), 'active');
    assert.equal((await starting).code, 0);
    await sprocketOk(host(), ['stop', uuid]);
  });
});
