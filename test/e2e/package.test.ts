// The Debian package (packaging/, docs/install.md): built from this
// checkout's dist/, installed with dpkg in a test host (whose root is an
// overlay: the machine itself is not touched), its units at work under
// systemd, a prepared pod run by sprocket-pod@.service, removal and purge.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand, type CommandResult } from '../support/command.js';
import { CHECKOUT, useHost, type ExecResult } from '../support/host.js';
import { allowServiceStarts, buildPackage } from '../support/package.js';
import { waitFor } from '../support/wait.js';
import { busyboxImage, IN_HOST, podStatusJson } from '../support/pods.js';

const { version } = JSON.parse(readFileSync(path.join(CHECKOUT, 'package.json'), 'utf8')) as { version: string };
const OUT = path.join(CHECKOUT, 'build', `e2e-package-${process.pid}`);
const IMAGE = 'example.com/packaged';
const STARTING = 'example.com/packaged-notify';
const LINTIAN_TIMEOUT_S = 600;

describe('Debian package', () => {
  const host = useHost('e2e-package');
  let deb = '';
  let install: ExecResult = { code: 0, stdout: '', stderr: '' };
  /** lintian on the .deb, on the machine (it reads the file only), beside the tests in the host. */
  let lintian: Promise<CommandResult> | undefined;
  const field = async (name: string) => (await runCommand('dpkg-deb', ['-f', deb, name])).stdout.trim();
  const sprocket = (args: string[]) => host().run(['/usr/bin/sprocket', ...args]);
  const unitValue = async (unit: string, property: string) =>
    (await host().run(['systemctl', 'show', '-p', property, '--value', unit])).trim();

  before(async () => {
    // dist/ as the suite built it; its own output directory, so that runs in parallel do not meet.
    deb = await buildPackage(OUT);
    // About 20 s of CPU (longer on a loaded machine): it runs while the host tests do.
    lintian = runCommand('timeout', [String(LINTIAN_TIMEOUT_S), 'lintian', '--fail-on', 'error', deb]);
    await allowServiceStarts(host());
  });
  after(async () => {
    await rm(OUT, { recursive: true, force: true });
  });

  it('is sprocket_<version>_<arch>.deb with the app, the launcher and the units, and no tests or dev modules', async () => {
    const arch = (await runCommand('dpkg', ['--print-architecture'])).stdout.trim();
    assert.equal(path.basename(deb), `sprocket_${version}_${arch}.deb`);
    assert.equal(await field('Package'), 'sprocket');
    assert.equal(await field('Architecture'), arch);
    for (const dep of ['systemd', 'systemd-container', 'dbus', 'containernetworking-plugins', 'iproute2', 'iptables', 'xz-utils', 'bzip2', 'libsystemd0']) {
      assert.ok((await field('Depends')).split(/,\s*/).includes(dep), `Depends: ${dep}`);
    }
    const files = (await runCommand('dpkg-deb', ['-c', deb])).stdout.split('\n').map((l) => l.split(/\s+/).slice(5).join(' '));
    for (const f of [
      './usr/bin/sprocket',
      './usr/lib/sprocket/app/package.json',
      './usr/lib/sprocket/app/dist/src/cli/main.js',
      './usr/lib/sprocket/app/dist/snapshot/sprocket.cjs',
      './usr/lib/sprocket/make-snapshot',
      './usr/lib/sprocket/app/stage1-nspawn/scripts/app-stopped',
      './usr/lib/sprocket/app/node_modules/systemd-journald/build/Release/journal_send.node',
      './lib/systemd/system/sprocket-gc.service',
      './lib/systemd/system/sprocket-gc.timer',
      './lib/systemd/system/sprocket-pod@.service',
      './usr/lib/sysctl.d/60-sprocket.conf',
      './usr/share/doc/sprocket/install.md',
      './usr/share/doc/sprocket/copyright',
      './lib/systemd/system-generators/sprocket-generator',
      './usr/share/man/man1/sprocket.1.gz',
      './usr/share/man/man1/sprocket-run.1.gz',
      './usr/share/man/man1/sprocket-image-build.1.gz',
      './usr/share/bash-completion/completions/sprocket',
    ]) assert.ok(files.includes(f), `${f} in the package`);
    assert.ok(files.includes('./lib/systemd/system/sprocket-metadata.socket'), 'the metadata socket is packaged');
    assert.deepEqual(files.filter((f) => /\/app\/dist\/(test|bench)\/|\/app\/dist\/.*\.(map|blob)$|node_modules\/(typescript|@types\/node)\//.test(f)), []);
    assert.match((await runCommand('dpkg-deb', ['-I', deb, 'triggers'])).stdout, /^interest-noawait \/usr\/bin\/node$/m);
  });

  it('installs with dpkg -i; sprocket runs from /usr/bin', async () => {
    // Debug output shows the postinst's systemd-sysctl at work (below).
    install = await host().exec(['env', 'SYSTEMD_LOG_LEVEL=debug', 'dpkg', '-i', deb]);
    assert.equal(install.code, 0, install.stderr);
    assert.equal((await sprocket(['--version'])).trim(), version);
    assert.match(await host().run(['dpkg-query', '-W', '-f', '${Status}', 'sprocket']), /install ok installed/);
  });

  it('makes the start-up snapshot for the installed node; sprocket starts from it without asking node, from the bundle under another node', async () => {
    const blob = `/var/cache/sprocket/sprocket-${process.version}.blob`;
    const madeFor = async (node: string) => (await host().exec(['test', `${blob.replace(/\.blob$/, '.node')}`, '-ef', node])).code === 0;
    assert.ok(await madeFor('/usr/bin/node'), `the postinst made ${blob} for /usr/bin/node`);
    // A node that records each way it is run; its --version is the real node's, or another one's.
    const wrapper = path.join(host().stateDir, 'node-wrapper');
    const calls = path.join(host().stateDir, 'node-calls');
    const writeWrapper = (version: string) => writeFile(wrapper, `#!/bin/sh\necho "$@" >>${IN_HOST}/node-calls\n[ "$1" = --version ] && exec echo ${version}\nexec /usr/bin/node "$@"\n`, { mode: 0o755 });
    const runList = async () => {
      await rm(calls, { force: true });
      assert.match(await host().run(['env', `SPROCKET_NODE=${IN_HOST}/node-wrapper`, '/usr/bin/sprocket', 'list']), /^UUID +NAME/);
      return readFileSync(calls, 'utf8').trim().split('\n');
    };
    await writeWrapper('"$(/usr/bin/node --version)"');
    // As the postinst does for node from PATH.
    await host().run(['env', `SPROCKET_NODE=${IN_HOST}/node-wrapper`, '/usr/lib/sprocket/make-snapshot']);
    assert.ok(await madeFor(`${IN_HOST}/node-wrapper`));
    assert.deepEqual(await runList(), [`--snapshot-blob ${blob} -- /usr/lib/sprocket/app/dist/src/cli/main.js list`]);
    // Another node at that path since: its version is asked, and it is not the snapshot's.
    await writeWrapper('v20.0.1');
    assert.deepEqual(await runList(), ['--version', '/usr/lib/sprocket/app/dist/src/cli/main.js list']);
    await rm(wrapper);
    await rm(calls);
    // dpkg changing /usr/bin/node (a nodejs upgrade) triggers the snapshot for it again.
    await host().run(['dpkg-trigger', '--no-await', '/usr/bin/node']);
    await host().run(['dpkg', '--triggers-only', '--pending']);
    assert.ok(await madeFor('/usr/bin/node'), 'made again for /usr/bin/node by the trigger');
  });

  it('has a man page per command, made from its --help, and bash completion of commands, flags, pods and images', async () => {
    assert.match(await host().run(['man', '-P', 'cat', 'sprocket-run']), /--unit-mode transient\|inline/);
    const complete = (words: string) => host().run(['bash', '-c', `source /usr/share/bash-completion/completions/sprocket; COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _sprocket; printf '%s\\n' "\${COMPREPLY[@]}"`]);
    assert.equal(await complete('sprocket gene'), 'generate\n');
    assert.match(await complete('sprocket run --unit-m'), /^--unit-mode$/m);
  });

  it('raises fs.inotify.max_user_instances for many pods: /usr/lib/sysctl.d/60-sprocket.conf, applied by the postinst', async () => {
    assert.match(await host().run(['cat', '/usr/lib/sysctl.d/60-sprocket.conf']), /^fs\.inotify\.max_user_instances = 8192$/m);
    assert.match(await host().run(['/lib/systemd/systemd-sysctl', '--cat-config']), /^# \/usr\/lib\/sysctl\.d\/60-sprocket\.conf$/m);
    // The test host shares the machine's kernel, with /proc/sys read-only:
    // the postinst's systemd-sysctl tried (its debug output says so) in vain.
    assert.match(`${install.stdout}${install.stderr}`, /fs\/inotify\/max_user_instances|fs\.inotify\.max_user_instances/);
  });

  it('enables and starts the gc timer and the metadata socket', async () => {
    assert.equal(await host().run(['systemctl', 'is-enabled', 'sprocket-gc.timer']), 'enabled\n');
    assert.equal(await host().run(['systemctl', 'is-active', 'sprocket-gc.timer']), 'active\n');
    assert.equal(await unitValue('sprocket-gc.timer', 'Unit'), 'sprocket-gc.service');
    assert.equal(await host().run(['systemctl', 'is-active', 'sprocket-metadata.socket']), 'active\n');
    assert.match(await host().run(['ss', '-Hltn', 'sport = :2375']), /127\.0\.0\.1:2375/);
  });

  it('sprocket-gc.service runs sprocket gc on a fresh state directory', async () => {
    const r = await host().exec(['systemctl', 'start', 'sprocket-gc.service']);
    assert.equal(r.code, 0, `${r.stderr}${await host().run(['journalctl', '--no-pager', '-o', 'cat', '-u', 'sprocket-gc.service'])}`);
    assert.equal(await unitValue('sprocket-gc.service', 'Result'), 'success');
    assert.doesNotMatch(await host().run(['journalctl', '--no-pager', '-o', 'cat', '-u', 'sprocket-gc.service']), /^(marked|removed|skipped) /m, 'nothing to collect yet');
  });

  it('sprocket-pod@UUID.service runs a prepared pod: its output and exit status are the unit\'s', async () => {
    await busyboxImage(host(), IMAGE);
    const uuid = (await sprocket(['prepare', IMAGE, '--exec', '/bin/sh', '--', '-c', 'echo hello-from-template; exit 3'])).trim();
    const unit = `sprocket-pod@${uuid}.service`;
    await host().run(['systemctl', 'start', unit]);
    await waitFor(`${unit} to end`, async () => ['inactive', 'failed'].includes(await unitValue(unit, 'ActiveState')));
    assert.equal(await unitValue(unit, 'ExecMainStatus'), '3');
    assert.match(await host().run(['journalctl', '--no-pager', '-o', 'cat', '-u', unit]), /^hello-from-template$/m);
    assert.equal((await podStatusJson(host(), uuid)).state, 'exited');
    await host().run(['systemctl', 'reset-failed', unit]);
  });

  it('systemctl stop of sprocket-pod@UUID.service stops the pod cleanly, also while it is still starting', async () => {
    // A notify app that never says READY=1 keeps its pod starting: the stop
    // reaches sprocket while it waits for the pod's start (it used to die of
    // the SIGTERM there and leave the pod running).
    await busyboxImage(host(), STARTING, { app: { exec: ['/bin/sleep', '600'], user: 'root', group: 'root' }, annotations: [{ name: 'appc.io/executor/supports-systemd-notify', value: 'true' }] });
    for (const [image, until] of [[IMAGE, 'active'], [STARTING, 'activating']] as const) {
      const uuid = (await sprocket(['prepare', image, '--exec', '/bin/sleep', '--', '600'])).trim();
      const unit = `sprocket-pod@${uuid}.service`;
      await host().run(['systemctl', 'start', unit]);
      await waitFor(`the pod to be ${until}`, async () => (await unitValue(`sprocket-${uuid}.service`, 'ActiveState')) === until);
      await host().run(['systemctl', 'stop', unit]);
      assert.equal(await unitValue(unit, 'Result'), 'success', `${until}: ${await host().run(['journalctl', '--no-pager', '-o', 'cat', '-u', unit, '-u', `sprocket-${uuid}.service`])}`);
      const status = await podStatusJson(host(), uuid);
      assert.equal(status.state, 'exited', until);
      assert.deepEqual(status.apps.map((a) => a.state), ['stopped'], `${until}: ${JSON.stringify(status.apps)}`);
    }
  });

  it('sprocket-pod@.service waits longer for a pod to stop than the pod for its apps (90 s)', async () => {
    const text = await unitValue('sprocket-pod@x.service', 'TimeoutStopUSec'); // like "2min 30s"
    const seconds = [...text.matchAll(/(\d+)(min|s)\b/g)].reduce((sum, [, n, u]) => sum + Number(n) * (u === 'min' ? 60 : 1), 0);
    assert.ok(seconds > 90, text);
  });

  it('sprocket-gc.service marks the 3 exited pods as garbage', async () => {
    await host().run(['systemctl', 'start', 'sprocket-gc.service']);
    const log = await host().run(['journalctl', '--no-pager', '-o', 'cat', '-u', 'sprocket-gc.service']);
    assert.equal(log.match(/^marked [0-9a-f-]{36}$/gm)?.length, 3, log);
  });

  it('lintian reports no error on the .deb', async () => {
    const r = await lintian!;
    assert.equal(r.code, 0, `lintian exit ${r.code} (124: timed out after ${LINTIAN_TIMEOUT_S} s):\n${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /^E: /m);
  });

  it('dpkg -r removes it cleanly and keeps the state; dpkg -P removes the state', async () => {
    await host().run(['dpkg', '-r', 'sprocket']);
    assert.notEqual((await host().exec(['test', '-e', '/usr/bin/sprocket'])).code, 0);
    assert.notEqual((await host().exec(['test', '-e', '/var/cache/sprocket'])).code, 0, 'the start-up snapshot removed');
    assert.notEqual((await host().exec(['test', '-e', '/usr/lib/sprocket/app'])).code, 0);
    for (const unit of ['sprocket-gc.timer', 'sprocket-metadata.socket', 'sprocket-metadata.service']) {
      assert.equal(await unitValue(unit, 'ActiveState'), 'inactive', unit);
    }
    assert.equal(await host().run(['systemctl', 'list-units', '--failed', '--no-legend', 'sprocket*']), '');
    assert.ok(existsSync(path.join(host().stateDir, 'pods')), 'pods kept on remove');

    await host().run(['dpkg', '-P', 'sprocket']);
    assert.notEqual((await host().exec(['dpkg-query', '-W', 'sprocket'])).code, 0);
    assert.equal(await host().run(['find', '/etc/systemd/system', '-name', 'sprocket*']), '');
    // The state directory is a mount point in the test host: emptied, not removed.
    assert.equal(await host().run(['find', IN_HOST, '-mindepth', '1', '-maxdepth', '1']), '');
  });
});
