// Proves the test host that every end-to-end test runs in: systemd is PID 1
// and running, its bus, journald and machined work, and a pod-like nested
// nspawn boot (test/host/tiny-pod, the recipe of stage1) logs into its journal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { CHECKOUT, useHost } from '../support/host.js';

describe('test host', () => {
  const host = useHost('e2e-host');

  it('has systemd as PID 1, up and running', async () => {
    assert.equal((await host().run(['cat', '/proc/1/comm'])).trim(), 'systemd');
    assert.match(await host().run(['systemctl', 'is-system-running']), /^(running|degraded)\n$/);
    assert.equal((await host().run(['systemctl', 'is-active', 'dbus.service', 'systemd-journald.service'])), 'active\nactive\n');
  });

  it('passes stdin, stdout, stderr, exit status and $ through exec', async () => {
    const r = await host().exec(['sh', '-c', 'read x; echo "out $x $0"; echo err >&2; exit 7', '$HOME'], { input: 'in\n' });
    assert.deepEqual(r, { code: 7, stdout: 'out in $HOME\n', stderr: 'err\n' });
  });

  it('lists machines with machinectl', async () => {
    const r = await host().exec(['machinectl', 'list']);
    assert.equal(r.code, 0, r.stderr);
    // machined answers for this host: none of the machine's own machines leak in.
    assert.match(r.stdout, /^No machines\.$/m);
  });

  it('has the checkout read-only at the same path and a writable /var/lib/sprocket', async () => {
    await host().run(['test', '-f', path.join(CHECKOUT, 'package.json')]);
    const r = await host().exec(['touch', path.join(CHECKOUT, 'written-by-test-host')]);
    assert.notEqual(r.code, 0);
    await host().run(['touch', '/var/lib/sprocket/written-by-test-host']);
    assert.equal((await host().run(['findmnt', '-n', '-o', 'FSTYPE', '/var/lib/sprocket'])).trim(), 'tmpfs');
  });

  it('journald receives a line from systemd-cat', async () => {
    const marker = `sprocket-e2e-${randomUUID()}`;
    await host().run(['systemd-cat', '-t', 'sprocket-e2e', 'echo', marker]);
    await host().run(['journalctl', '--sync']);
    const out = await host().run(['journalctl', '--no-pager', '-o', 'cat', 'SYSLOG_IDENTIFIER=sprocket-e2e']);
    assert.match(out, new RegExp(marker));
  });

  it('boots a tiny pod with nested nspawn whose app line reaches the host journal', async () => {
    const marker = `tiny-pod-${randomUUID()}`;
    const r = await host().exec([path.join(CHECKOUT, 'test/host/tiny-pod'), '/var/lib/sprocket/tiny-pod', 'tiny', marker], {
      unit: 'sprocket-tiny.service',
      properties: ['Slice=machine.slice', 'KillMode=mixed'],
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    await host().run(['journalctl', '--sync']);
    // By identifier, not by _SYSTEMD_UNIT: journald reads a line's unit and
    // cgroup from /proc of its sender, which a process as short-lived as
    // this echo may have left already (docs/testing.md).
    const out = await host().run(['journalctl', '--no-pager', '-o', 'json', 'SYSLOG_IDENTIFIER=tiny-app', `MESSAGE=${marker}`]);
    const entries = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.PRIORITY, '6');
  });
});
