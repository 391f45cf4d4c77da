// Pods as the operator's own services (docs/units.md), with the Debian
// package installed in a test host: pod unit files in /etc/sprocket/systemd
// become services through the package's generator; each service's main
// process is its pod (run --unit-mode=inline): readiness, cgroup, journal,
// stop, restart and boot are the service's.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { CHECKOUT, useHost } from '../support/host.js';
import { notifyReadyCommand } from '../support/notify.js';
import { allowServiceStarts, buildPackage } from '../support/package.js';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { busyboxImage, IN_HOST, onMachine } from '../support/pods.js';
import { waitFor } from '../support/wait.js';

const OUT = path.join(CHECKOUT, 'build', `e2e-units-${process.pid}`);
const IMAGE = 'example.com/unit-app';
const NOTIFY_IMAGE = 'example.com/unit-notify';
const SITE_IMAGE = 'example.com/unit-site';
// On the host's root (kept over a reboot), not /run.
const MARKS = '/srv/web-marks';
/** web's secret (Secret=): written from this machine, so that no command line of the host carries its value. */
const WEB_SECRET = `${IN_HOST}/web-secret`;
const WEB_SECRET_VALUE = `web-${randomBytes(12).toString('hex')}`;

interface Status {
  uuid: string; state: string; unit: string; pid?: number; exitStatus?: number; name?: string;
  apps: { name: string; state: string; exitStatus?: number; signal?: string; restarts?: number }[];
}

describe('pods as services: pod unit files, the generator, inline pods', () => {
  const host = useHost('e2e-units');
  const sh = (script: string) => host().run(['/bin/sh', '-c', script]);
  const sprocket = (args: string[]) => host().run(['/usr/bin/sprocket', ...args]);
  const show = async (unit: string, property: string) => (await host().run(['systemctl', 'show', '-p', property, '--value', unit])).trim();
  const pods = async () => JSON.parse(await sprocket(['list', '--format', 'json'])) as Status[];
  const podsOf = async (unit: string) => (await pods()).filter((p) => p.unit === unit);
  const writePodFile = (name: string, text: string) => sh(`mkdir -p /etc/sprocket/systemd && cat >/etc/sprocket/systemd/${name}.pod <<'EOF'\n${text}\nEOF`);

  before(async () => {
    const deb = await buildPackage(OUT);
    await allowServiceStarts(host());
    await host().run(['cp', deb, '/tmp/sprocket.deb']);
    await host().run(['dpkg', '-i', '/tmp/sprocket.deb']);
    await busyboxImage(host(), IMAGE, { app: { exec: ['/bin/true'], user: 'root', group: 'root' } });
    await busyboxImage(host(), NOTIFY_IMAGE, {
      app: { exec: ['/bin/true'], user: 'root', group: 'root' },
      annotations: [{ name: 'appc.io/executor/supports-systemd-notify', value: 'true' }],
    });
    await busyboxImage(host(), SITE_IMAGE, { app: { exec: ['/bin/true'], user: 'root', group: 'root', ports: [{ name: 'http', protocol: 'tcp', port: 80 }] } });
    const ready = await notifyReadyCommand();
    await sh(`mkdir -p ${MARKS}`);
    await writeFile(onMachine(host(), WEB_SECRET), WEB_SECRET_VALUE, { mode: 0o600 });
    // web: a notify app that prints its secret's digest and marks the volume just before READY=1; a plain app beside it.
    await writePodFile('web', [
      '[Unit]', 'Description=web pod',
      '[Pod]',
      `Volume=marks,kind=host,source=${MARKS}`,
      'SetEnv=GREETING=hello-from-web',
      `Secret=token=${WEB_SECRET}`,
      `App=${NOTIFY_IMAGE} --name=server --mount volume=marks,target=/marks --exec /bin/sh -- -c "echo $GREETING; busybox sha256sum <$CREDENTIALS_DIRECTORY/token; sleep 1; touch /marks/ready; ${ready}; exec sleep 600"`,
      // The sidecar tries to make a kmsg device (the closed device policy refuses it).
      `App=${IMAGE} --name=sidecar --exec /bin/sh -- -c "busybox mknod /dev/kmsg-made c 1 11; exec sleep 600"`,
      'TasksMax=512',
      '[Service]', 'MemoryMax=100M', 'LogRateLimitBurst=500',
      '[Install]', 'WantedBy=multi-user.target',
    ].join('\n'));
    await writePodFile('bad', '[Pod]\nApp=example.com/x\nColour=blue');
    await sh(`cat >/etc/systemd/system/after-web.service <<'EOF'
[Unit]
Requires=web.service
After=web.service
[Service]
Type=oneshot
ExecStart=/bin/test -e ${MARKS}/ready
EOF`);
  });
  after(async () => {
    await rm(OUT, { recursive: true, force: true });
  });

  it('daemon-reload turns a .pod file into NAME.service (systemctl cat shows it) and reports a bad one in the journal without failing', async () => {
    await host().run(['systemctl', 'daemon-reload']);
    const text = await host().run(['systemctl', 'cat', 'web.service']);
    assert.match(text, /^# \/run\/systemd\/generator\/web\.service$/m);
    assert.match(text, /^SourcePath=\/etc\/sprocket\/systemd\/web\.pod$/m);
    assert.match(text, /^ExecStart="\/usr\/bin\/sprocket" "run" "--unit-mode=inline" "--name=web" /m);
    assert.match(text, /^MemoryMax=100M$/m);
    assert.notEqual((await host().exec(['systemctl', 'cat', 'bad.service'])).code, 0);
    const log = await host().run(['journalctl', '--no-pager', '-o', 'cat', '-t', 'sprocket-generator']);
    assert.match(log, /^\/etc\/sprocket\/systemd\/bad\.pod: line 3: Colour: unknown key in \[Pod\]/m);
  });

  it('systemctl start returns once the notify app is ready; a unit After= it starts after that', async () => {
    // The marker is written just before READY=1; the start must not return before it exists.
    await sh(`rm -f ${MARKS}/ready; systemctl start web.service; test -e ${MARKS}/ready`);
    assert.equal(await show('web.service', 'ActiveState'), 'active');
    // after-web (Requires=, After= web.service) tests for the marker: started from scratch, it runs once web is ready.
    await sh(`systemctl stop web.service; rm -f ${MARKS}/ready; systemctl start after-web.service`);
    assert.equal(await show('after-web.service', 'Result'), 'success');
    assert.equal(await show('web.service', 'ActiveState'), 'active');
  });

  it('the pod is the service: its main process, its processes in the service cgroup, MemoryMax= of the unit on that cgroup (read back: no memory controller to enforce it here)', async () => {
    const [pod] = await podsOf('web.service');
    assert.ok(pod, 'a pod of web.service in sprocket list');
    assert.equal(pod.state, 'running');
    assert.equal(pod.name, 'web');
    const mainPid = Number(await show('web.service', 'MainPID'));
    assert.equal(pod.pid, mainPid);
    assert.equal((await host().run(['cat', `/proc/${mainPid}/comm`])).trim(), 'systemd-nspawn', 'nspawn, not Node.js, is the main process');
    const cgroup = await show('web.service', 'ControlGroup');
    const procs = await sh(`for p in $(find /sys/fs/cgroup${cgroup} -name cgroup.procs -exec cat {} +); do cat /proc/$p/comm; done`);
    assert.match(procs, /^sleep$/m, 'the apps run in the service cgroup');
    assert.doesNotMatch(procs, /^node$/m, 'no Node.js stays');
    assert.equal(await show('web.service', 'MemoryMax'), String(100 * 2 ** 20));
    const status = JSON.parse(await sprocket(['status', '--format', 'json', 'web'])) as Status;
    assert.equal(status.unit, 'web.service');
  });

  it("the service has nspawn's closed device list (an app cannot make a kmsg device) and the pod's limits: [Pod] TasksMax=, the defaults, the operator's [Service] lines over both", async () => {
    assert.equal(await show('web.service', 'DevicePolicy'), 'closed');
    assert.equal((await show('web.service', 'DeviceAllow')).split('\n').length, 8);
    await waitFor("the sidecar's mknod refused", async () =>
      /mknod: \/dev\/kmsg-made: Operation not permitted/.test(await host().run(['journalctl', '--no-pager', '-o', 'cat', '-u', 'web.service'])));
    assert.deepEqual(await Promise.all(['TasksMax', 'LimitNOFILE', 'LimitNOFILESoft', 'LogRateLimitIntervalUSec', 'LogRateLimitBurst'].map((p) => show('web.service', p))), ['512', '524288', '1024', '30s', '500']);
  });

  it('a service of its own without a closed device policy is refused: its apps could make any device', async () => {
    const r = await host().exec(['systemd-run', '--wait', '--quiet', '--unit=hand-made-pod', '-p', 'Delegate=yes', '/usr/bin/sprocket', 'run', '--unit-mode=inline', IMAGE]);
    assert.notEqual(r.code, 0);
    const log = await host().run(['journalctl', '--no-pager', '-o', 'cat', '-u', 'hand-made-pod.service']);
    assert.match(log, /hand-made-pod\.service has DevicePolicy=auto: an inline pod's service needs DevicePolicy=closed/);
  });

  it("the apps' lines are in journalctl -u SERVICE and in sprocket logs; an app of an inline pod reads the pod's Secret=", async () => {
    // The secret's digest is the app's second line.
    const digest = new RegExp(`^${createHash('sha256').update(WEB_SECRET_VALUE).digest('hex')}  -$`, 'm');
    await waitFor('the lines in the journal', async () => {
      const lines = await host().run(['journalctl', '--no-pager', '-o', 'cat', '-u', 'web.service']);
      return /^hello-from-web$/m.test(lines) && digest.test(lines);
    });
    assert.match(await sprocket(['logs', 'web', '--app', 'server']), /server: hello-from-web$/m);
  });

  it('systemctl stop ends the pod cleanly: exit 0 recorded, every app stopped', async () => {
    const [pod] = await podsOf('web.service');
    await host().run(['systemctl', 'stop', 'web.service']);
    const status = JSON.parse(await sprocket(['status', '--format', 'json', pod!.uuid])) as Status;
    assert.equal(status.state, 'exited');
    assert.equal(status.exitStatus, 0);
    assert.deepEqual(status.apps.map((a) => a.state), ['stopped', 'stopped']);
    assert.equal(await show('web.service', 'Result'), 'success');
  });

  it('a pod that fails to become ready fails the start', async () => {
    await writePodFile('never-ready', `[Pod]\nApp=${NOTIFY_IMAGE} --exec /bin/sh -- -c "echo giving-up; exit 4"`);
    await host().run(['systemctl', 'daemon-reload']);
    const r = await host().exec(['systemctl', 'start', 'never-ready.service']);
    assert.notEqual(r.code, 0);
    assert.equal(await show('never-ready.service', 'ActiveState'), 'failed');
    const [pod] = await podsOf('never-ready.service');
    assert.equal(pod?.state, 'exited');
    assert.deepEqual(pod?.apps.map((a) => a.exitStatus), [4]);
  });

  it('Restart=on-failure runs a fresh pod (new UUID) on each start; the previous pod of the service is removed', async () => {
    await writePodFile('flaky', `[Pod]\nApp=${IMAGE} --exec /bin/sh -- -c "sleep 1; exit 3"\n[Service]\nRestart=on-failure\nRestartSec=1`);
    await host().run(['systemctl', 'daemon-reload']);
    await host().run(['systemctl', 'start', 'flaky.service']);
    const [first] = await podsOf('flaky.service');
    assert.ok(first);
    let now: Status[] = [];
    await waitFor('a second pod of flaky.service', async () => {
      now = await podsOf('flaky.service');
      return now.some((p) => p.uuid !== first.uuid);
    });
    assert.ok(Number(await show('flaky.service', 'NRestarts')) >= 1);
    assert.deepEqual(now.filter((p) => p.uuid === first.uuid), [], 'the first pod is gone');
    assert.equal(now.length, 1);
    await host().run(['systemctl', 'stop', 'flaky.service']);
  });

  it("an app with --restart=on-failure is restarted inside the running pod; status counts its restarts", async () => {
    await writePodFile('worker', [
      '[Pod]',
      `App=${IMAGE} --name=crashy --restart=on-failure --restart-delay=1s --exec /bin/sh -- -c "echo crashing; sleep 1; exit 2"`,
      `App=${IMAGE} --name=steady --exec /bin/sleep -- 600`,
    ].join('\n'));
    await host().run(['systemctl', 'daemon-reload']);
    await host().run(['systemctl', 'start', 'worker.service']);
    let status: Status | undefined;
    await waitFor('two restarts of crashy', async () => {
      status = JSON.parse(await sprocket(['status', '--format', 'json', 'worker'])) as Status;
      return (status.apps.find((a) => a.name === 'crashy')?.restarts ?? 0) >= 2;
    });
    assert.equal(status!.state, 'running');
    assert.equal(status!.apps.find((a) => a.name === 'steady')?.state, 'running');
    assert.equal(status!.apps.find((a) => a.name === 'steady')?.restarts, undefined, 'no count for an app without a policy');
    assert.match(await sprocket(['status', 'worker']), /^app-crashy=running restarts=\d+$/m);
    await host().run(['systemctl', 'stop', 'worker.service']);
  });

  it('an inline pod has a network of its own: Port= serves on the host port; stop, kill -9 of the pod and of sprocket tear it down', async () => {
    const serve = '--exec /bin/sh -- -c "echo hi-from-site >/index.html; exec busybox httpd -f -p 80 -h /"';
    await writePodFile('site', `[Pod]\nPort=http:8088\nApp=${SITE_IMAGE} ${serve}`);
    // sprocket itself killed (-9) once the network is up, before it hands over to nspawn.
    await writePodFile('site-killed', `[Pod]\nPort=http:8089\nApp=${SITE_IMAGE} ${serve}\n[Service]\nEnvironment=SPROCKET_TEST_KILL_AT=run:network-up`);
    await host().run(['systemctl', 'daemon-reload']);
    /** What the pod's network left on the host: its namespace, firewall rules (portmap, masquerade), IPAM lease. */
    const leftovers = async (uuid: string) => (await sh(`echo netns $(ls /run/netns | grep -c ${uuid}); echo rules $(iptables-save | grep -c ${uuid}); echo leases $(grep -rl ${uuid} /var/lib/cni/networks | wc -l); ls /var/lib/sprocket/pods/${uuid}`)).trim();
    for (const end of ['stop', 'kill -9']) {
      await host().run(['systemctl', 'start', 'site.service']);
      const [pod] = (await podsOf('site.service')).filter((p) => p.state === 'running');
      assert.ok(pod, 'a running pod of site.service');
      const status = JSON.parse(await sprocket(['status', '--format', 'json', pod.uuid])) as Status & { networks?: { network: string; ip?: string }[] };
      assert.equal(status.networks?.[0]?.network, 'default');
      assert.match(await sh('wget -q -T 5 -O- http://127.0.0.1:8088/'), /^hi-from-site$/m);
      assert.match(await leftovers(pod.uuid), /^netns 1$/m);
      if (end === 'stop') await host().run(['systemctl', 'stop', 'site.service']);
      else {
        await host().run(['systemctl', 'kill', '-s', 'KILL', 'site.service']);
        await waitFor('site.service to fail', async () => (await show('site.service', 'ActiveState')) === 'failed');
      }
      const left = await leftovers(pod.uuid);
      assert.match(left, /^netns 0\nrules 0\nleases 0$/m, `${end}: ${left}`);
      assert.doesNotMatch(left, /^networks\.json$/m, end);
      assert.match(left, /^pod-exit$/m, end);
    }
    assert.notEqual((await host().exec(['systemctl', 'start', 'site-killed.service'])).code, 0, 'sprocket was killed at run:network-up');
    const [killed] = await podsOf('site-killed.service');
    assert.ok(killed, 'a pod of site-killed.service');
    assert.equal(killed.state, 'exited');
    assert.match(await leftovers(killed.uuid), /^netns 0\nrules 0\nleases 0$/m);
    await host().run(['systemctl', 'reset-failed', 'site.service', 'site-killed.service']);
  });

  it('an enabled pod unit (WantedBy=multi-user.target) runs after a reboot of the host', async () => {
    await host().reboot();
    await waitFor('web.service to be active', async () => (await show('web.service', 'ActiveState')) === 'active');
    const [pod] = await podsOf('web.service');
    assert.equal(pod?.state, 'running');
    assert.deepEqual(pod?.apps.map((a) => a.state), ['running', 'running']);
  });
});
