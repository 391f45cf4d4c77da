// src/journal against the journald of a test host: events written with the
// systemd-journald addon are found by field, read back and followed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { CHECKOUT, useHost } from '../support/host.js';

const CALL = path.join(CHECKOUT, 'dist/test/host/journal-call.js');

describe('journal', () => {
  const host = useHost('e2e-journal');
  const call = (...args: unknown[]) => host().run(['node', CALL, ...args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a)))]);
  const lines = (out: string) => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);

  it('writes a pod event and reads it back by the pod', async () => {
    const pod = randomUUID();
    await call('write', { pod, event: 'app-exited', app: 'web', exitStatus: 3 });
    await call('write', { pod: randomUUID(), event: 'started' });
    await host().run(['journalctl', '--sync']);
    const entries = lines(await call('read', { fields: { SPROCKET_POD: pod } }));
    assert.equal(entries.length, 1);
    assert.deepEqual(
      [entries[0]!.MESSAGE, entries[0]!.SPROCKET_EVENT, entries[0]!.SPROCKET_APP, entries[0]!.SPROCKET_EXIT_STATUS, entries[0]!.SYSLOG_IDENTIFIER, entries[0]!.PRIORITY],
      [`pod ${pod}: app web exited with status 3`, 'app-exited', 'web', '3', 'sprocket', '5'],
    );
  });

  it("reads a unit's lines by unit and identifier, the last N only", async () => {
    // Its own unit, with stdout to the journal (exec's units pipe it back).
    await host().run(['systemd-run', '-q', '--wait', '--unit=e2e-lines.service', 'sh', '-c', 'for i in 1 2 3; do echo line $$i; done; echo other | systemd-cat -t other']);
    await host().run(['journalctl', '--sync']);
    const entries = lines(await call('read', { unit: 'e2e-lines.service', identifier: 'sh', lines: 2 }));
    assert.deepEqual(entries.map((e) => e.MESSAGE), ['line 2', 'line 3']);
    assert.deepEqual(lines(await call('read', { unit: 'no-such.service' })), []);
  });

  it('follows new entries', async () => {
    const pod = randomUUID();
    const [entry] = lines(await call('follow', { fields: { SPROCKET_POD: pod } }, { pod, event: 'stopped' }));
    assert.equal(entry!.SPROCKET_EVENT, 'stopped');
    assert.equal(entry!.SPROCKET_POD, pod);
  });
});
