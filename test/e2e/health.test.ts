// Health checks (issue 13, docs/pods.md "Health checks"), with the Debian
// package installed in a test host: the pod's systemd runs each check in the
// app's root; status shows the health; an unhealthy app is killed and its
// restart policy brings it back; the events are sprocket's in the journal
// and an app cannot forge them; a pod unit becomes active once healthy.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { CHECKOUT, useHost } from '../support/host.js';
import { allowServiceStarts, buildPackage } from '../support/package.js';
import { busyboxImage } from '../support/pods.js';
import { waitFor } from '../support/wait.js';

const OUT = path.join(CHECKOUT, 'build', `e2e-health-${process.pid}`);
const IMAGE = 'example.com/health';
// The check passes while OK exists in the volume; each start of the app makes it.
const DATA = '/srv/health-data';
const INTERVAL_S = 1;
const RETRIES = 2;

interface Health { state: string; failures: number; checked?: string; result?: string; exitStatus?: number; output?: string }
interface Status { uuid: string; state: string; apps: { name: string; state: string; restarts?: number; health?: Health }[] }
interface Entry { MESSAGE: string; SPROCKET_HEALTH?: string; SPROCKET_APP?: string; __MONOTONIC_TIMESTAMP: string; __REALTIME_TIMESTAMP: string }

describe('health checks', () => {
  const host = useHost('e2e-health');
  const sh = (script: string) => host().run(['/bin/sh', '-c', script]);
  const sprocket = (args: string[]) => host().run(['/usr/bin/sprocket', ...args]);
  const status = async (pod: string) => JSON.parse(await sprocket(['status', '--format', 'json', pod])) as Status;
  const app = async (pod: string, name: string) => (await status(pod)).apps.find((a) => a.name === name)!;
  const journal = async (...matches: string[]) => {
    await host().run(['journalctl', '--sync']);
    const out = await host().run(['journalctl', '--no-pager', '-o', 'json', ...matches]);
    return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Entry);
  };

  before(async () => {
    const deb = await buildPackage(OUT);
    await allowServiceStarts(host());
    await host().run(['cp', deb, '/tmp/sprocket.deb']);
    await host().run(['dpkg', '-i', '/tmp/sprocket.deb']);
    // Root, with lib links into the host's /usr (bound by the forger) for util-linux's logger.
    await busyboxImage(host(), IMAGE, { app: { exec: ['/bin/true'], user: '0', group: '0' } }, { lib: 'usr/lib', lib64: 'usr/lib64' });
    await sh(`mkdir -p ${DATA}`);
  });
  after(async () => {
    await rm(OUT, { recursive: true, force: true });
  });

  it('a check that starts failing marks the app unhealthy within interval x retries, --restart=on-failure restarts it, the events are in the journal and cannot be forged', async () => {
    const forgery = [
      // Into the keeper's cgroup first (made if it is not there between checks): refused, /sys/fs/cgroup is read-only in every app.
      "keeper='/sys/fs/cgroup/system.slice/system-app\\x2dhealth.slice/app-health@web.service'",
      'busybox mkdir -p "$keeper" 2>&1; echo $$ 2>&1 >"$keeper/cgroup.procs"',
      `printf '%s\\n' 'MESSAGE=forged-health' SYSLOG_IDENTIFIER=sprocket "SPROCKET_POD=$POD" SPROCKET_EVENT=health SPROCKET_APP=web SPROCKET_HEALTH=unhealthy | /usr/bin/logger --journald`,
      'echo forger-done; exec sleep 600',
    ].join('; ');
    await sh(`rm -f ${DATA}/pod`);
    const pod = (await sprocket([
      'run', '-d', '--net=host', '--name', 'checked',
      '--volume', `data,kind=host,source=${DATA}`, '--volume', 'usr,kind=host,source=/usr,readOnly=true',
      IMAGE, '--name', 'web', '--restart=on-failure', '--mount', 'volume=data,target=/data',
      '--health-cmd', 'echo checking /data/ok; [ -e /data/ok ]', `--health-interval=${INTERVAL_S}s`, `--health-retries=${RETRIES}`,
      '--exec', '/bin/sh', '--', '-c', 'touch /data/ok; exec sleep 600',
      '---', IMAGE, '--name', 'forger', '--mount', 'volume=usr,target=/usr', '--mount', 'volume=data,target=/data',
      '--exec', '/bin/sh', '--', '-c', `while [ ! -e /data/pod ]; do sleep 1; done; POD=$(cat /data/pod); ${forgery}`,
    ])).trim();
    await sh(`echo ${pod} >${DATA}/pod`);
    // Started (run -d returns once the pod is ready): healthy by then.
    const healthy = await app(pod, 'web');
    assert.equal(healthy.health?.state, 'healthy', JSON.stringify(healthy));
    assert.equal(healthy.health?.result, 'success');
    assert.match(healthy.health?.output ?? '', /^checking \/data\/ok$/m);
    assert.equal(healthy.restarts, 0);
    assert.equal((await app(pod, 'forger')).health, undefined);

    await waitFor('the forger to be done', async () => /forger-done/.test(await sprocket(['logs', '--app', 'forger', pod])));
    await sh(`rm ${DATA}/ok`);
    const broken = Number((await sh('date +%s%6N')).trim());
    await waitFor('web to be restarted', async () => ((await app(pod, 'web')).restarts ?? 0) >= 1);
    await waitFor('web to be healthy again', async () => (await app(pod, 'web')).health?.state === 'healthy');

    const events = await journal(`SPROCKET_POD=${pod}`, 'SPROCKET_EVENT=health');
    const states = events.filter((e) => e.MESSAGE !== 'forged-health').map((e) => e.SPROCKET_HEALTH);
    assert.deepEqual(states.slice(0, 3), ['healthy', 'unhealthy', 'healthy'], JSON.stringify(events));
    const unhealthy = events.find((e) => e.SPROCKET_HEALTH === 'unhealthy' && e.MESSAGE !== 'forged-health')!;
    assert.match(unhealthy.MESSAGE, new RegExp(`^pod ${pod}: app web is unhealthy: checking /data/ok`));
    // Within interval x retries of the first failing check's chance (each check takes some ms; a loaded machine more).
    const lateS = (Number(unhealthy.__REALTIME_TIMESTAMP) - broken) / 1e6;
    assert.ok(lateS <= RETRIES * INTERVAL_S + 5, `unhealthy ${lateS} s after the check began to fail`);

    // sprocket's own events are the keeper's; the forger's entry is its own line, never sprocket's.
    const logs = await sprocket(['logs', pod]);
    assert.match(logs, new RegExp(`sprocket: pod ${pod}: app web is unhealthy: checking`));
    assert.match(logs, /forger: forger-done/);
    assert.doesNotMatch(logs, /sprocket: forged-health/);
    assert.match(logs, /forger: .*Read-only file system/);
    await sprocket(['stop', pod]);
  });

  it('a pod unit with a checked app becomes active only once it is healthy, and fails to start when it never is', async () => {
    const podFile = (name: string, app: string) => sh(`mkdir -p /etc/sprocket/systemd && cat >/etc/sprocket/systemd/${name}.pod <<'EOF'\n[Pod]\n${app}\nEOF`);
    // Healthy 2 s after it started: the failures of the start period do not count.
    await podFile('slow', `App=${IMAGE} --name=slow --health-cmd "[ -e /tmp/up ]" --health-interval=500ms --health-start-period=30s --exec /bin/sh -- -c "sleep 2; touch /tmp/up; exec sleep 600"`);
    await podFile('sick', `App=${IMAGE} --name=sick --health-cmd /bin/false --health-interval=500ms --health-retries=1 --exec /bin/sleep -- 600`);
    await host().run(['systemctl', 'daemon-reload']);

    await host().run(['systemctl', 'start', 'slow.service']);
    const active = Number((await host().run(['systemctl', 'show', '-p', 'ActiveEnterTimestampMonotonic', '--value', 'slow.service'])).trim());
    const pod = (await sprocket(['status', 'slow'])).match(/^uuid=(\S+)$/m)![1]!;
    assert.equal((await app(pod, 'slow')).health?.state, 'healthy');
    const [first] = await journal(`SPROCKET_POD=${pod}`, 'SPROCKET_EVENT=health');
    assert.equal(first?.SPROCKET_HEALTH, 'healthy');
    assert.ok(Number(first.__MONOTONIC_TIMESTAMP) < active, 'healthy before the service became active');
    await host().run(['systemctl', 'stop', 'slow.service']);

    const sick = await host().exec(['systemctl', 'start', 'sick.service']);
    assert.notEqual(sick.code, 0, 'sick.service started');
    const why = await host().run(['journalctl', '--no-pager', '-o', 'cat', '-u', 'sick.service']);
    // The pod's systemd on its console: the check failed. (The keeper's event and the readiness wait's
    // reason may miss the unit: the pod ends at once, before journald reads their writers' cgroups.)
    assert.match(why, /app-check@sick\.service: Failed with result 'exit-code'/);
  });
});
