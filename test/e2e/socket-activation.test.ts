// Socket activation (docs/pods.md, docs/units.md), with the Debian package
// installed in a test host. The app serves HTTP only on a socket it is
// given: fd-accept (test/fixtures/fd-accept.c, built static here) accepts on
// the inherited fd 3 and runs busybox `httpd -i` for each connection; it
// never binds, and exits 3 when no socket was passed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../support/command.js';
import { CHECKOUT, useHost } from '../support/host.js';
import { allowServiceStarts, buildPackage } from '../support/package.js';
import { busyboxImage } from '../support/pods.js';
import { waitFor } from '../support/wait.js';

const OUT = path.join(CHECKOUT, 'build', `e2e-socket-${process.pid}`);
const IMAGE = 'example.com/lazy-web';
const APP_PORT = 8081;

interface Status { uuid: string; state: string; unit: string; apps: { name: string; state: string }[] }

describe('socket activation: the app gets its listening socket from systemd and starts on the first connection', () => {
  const host = useHost('e2e-socket');
  const sprocket = (args: string[]) => host().run(['/usr/bin/sprocket', ...args]);
  const status = async (pod: string) => JSON.parse(await sprocket(['status', '--format', 'json', pod])) as Status;
  /** Whether the app's program runs anywhere in the host (the pods' processes are the host's too). */
  const appRuns = async () => (await host().exec(['pgrep', '-x', 'fd-accept'])).code === 0;
  const get = (port: number) => host().run(['wget', '-qO-', '-T', '30', `http://127.0.0.1:${port}/`]);
  const show = async (unit: string, property: string) => (await host().run(['systemctl', 'show', '-p', property, '--value', unit])).trim();
  const podsOf = async (unit: string) => (JSON.parse(await sprocket(['list', '--format', 'json'])) as Status[]).filter((p) => p.unit === unit);

  before(async () => {
    const deb = await buildPackage(OUT);
    await allowServiceStarts(host());
    await host().run(['cp', deb, '/tmp/sprocket.deb']);
    await host().run(['dpkg', '-i', '/tmp/sprocket.deb']);
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'fd-accept-'));
    try {
      const binary = path.join(tmp, 'fd-accept');
      const gcc = await runCommand('gcc', ['-static', '-Os', '-o', binary, path.join(CHECKOUT, 'test/fixtures/fd-accept.c')]);
      assert.equal(gcc.code, 0, gcc.stderr);
      const page = path.join(tmp, 'index.html');
      await writeFile(page, 'served on demand\n');
      await busyboxImage(host(), IMAGE, {
        app: {
          exec: ['/bin/fd-accept', '/bin/httpd', '-i', '-h', '/www'], user: 'root', group: 'root',
          ports: [{ name: 'http', protocol: 'tcp', port: APP_PORT, socketActivated: true }],
        },
      }, { 'bin/httpd': 'busybox' }, { 'bin/fd-accept': binary, 'www/index.html': page });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
  after(async () => {
    await rm(OUT, { recursive: true, force: true });
  });

  it('sprocket run: the pod is up with the app not started; the first request starts it with its socket (named after the port) and is answered', async () => {
    await sprocket(['run', '-d', '--name', 'lazy', '--port', 'http:8090', IMAGE]);
    const before = await status('lazy');
    assert.equal(before.state, 'running');
    assert.equal(before.apps[0]?.state, 'listening');
    assert.equal(await appRuns(), false, 'the app waits for its first connection');
    assert.equal(await get(8090), 'served on demand\n');
    assert.equal(await appRuns(), true);
    await waitFor('status to say the app runs', async () => (await status('lazy')).apps[0]?.state === 'running');
    assert.equal(await get(8090), 'served on demand\n', 'the app serves on');
    assert.match(await sprocket(['logs', 'lazy']), /fd-accept: LISTEN_FDS=1 LISTEN_FDNAMES=http$/m);
    await sprocket(['stop', 'lazy']);
    assert.equal((await status('lazy')).state, 'exited');
  });

  // default: the pod's own CNI network (the socket, of the host's namespace, is passed into it); none: loopback only.
  for (const [net, port] of [['host', 8091], ['none', 8092], ['default', 8093]] as const) {
    it(`a pod unit file with Port= (Net=${net}): its socket starts the pod on the first request, which the app answers on the socket passed through nspawn and the pod's systemd`, async () => {
      const name = `lazy-${net}`;
      await host().run(['/bin/sh', '-c', `mkdir -p /etc/sprocket/systemd && printf '%s\\n' '[Pod]' 'Net=${net}' 'Port=http:${port}' 'App=${IMAGE}' '[Install]' 'WantedBy=multi-user.target' >/etc/sprocket/systemd/${name}.pod`]);
      await host().run(['systemctl', 'daemon-reload']);
      assert.match(await host().run(['systemctl', 'cat', `${name}.socket`]), new RegExp(`^ListenStream=${port}$`, 'm'));
      await host().run(['systemctl', 'start', `${name}.socket`]);
      assert.equal(await show(`${name}.service`, 'ActiveState'), 'inactive', 'no pod before the first request');
      assert.deepEqual(await podsOf(`${name}.service`), []);
      assert.equal(await appRuns(), false);
      assert.equal(await get(port), 'served on demand\n');
      await waitFor(`${name}.service active (its pod ready)`, async () => (await show(`${name}.service`, 'ActiveState')) === 'active');
      const [pod] = await podsOf(`${name}.service`);
      assert.equal(pod?.state, 'running');
      assert.match(await sprocket(['logs', pod!.uuid]), /fd-accept: LISTEN_FDS=1 LISTEN_FDNAMES=http$/m);
      // Stopped, the service leaves its socket listening: the next request starts a fresh pod.
      await host().run(['systemctl', 'stop', `${name}.service`]);
      assert.equal(await show(`${name}.socket`, 'ActiveState'), 'active');
      assert.equal(await get(port), 'served on demand\n');
      const [again] = await podsOf(`${name}.service`);
      assert.notEqual(again?.uuid, pod!.uuid);
      await host().run(['systemctl', 'stop', `${name}.socket`, `${name}.service`]);
    });
  }
});
