import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SprocketError } from '../../../src/errors.js';
import { ensureMetadataService, METADATA_SERVICE_UNIT, METADATA_SOCKET_UNIT } from '../../../src/metadata/ensure.js';
import { FakeSystemd } from '../../support/fake-systemd.js';

// Something listening where the service must answer, as the started service would.
let listening: net.Server;
let probe: { host: string; port: number };
before(async () => {
  listening = net.createServer((s) => s.end()).listen(0, '127.0.0.1');
  await once(listening, 'listening');
  probe = { host: '127.0.0.1', port: (listening.address() as net.AddressInfo).port };
});
after(() => new Promise((r) => listening.close(r)));

const opts = () => ({ stateDir: '/srv/sprocket', command: ['/usr/bin/node', '/opt/sprocket/main.js'], probe, timeoutMs: 2000 });

describe('ensureMetadataService', () => {
  it('uses the socket unit when it is active, and starts nothing', async () => {
    const systemd = new FakeSystemd();
    await systemd.startTransientUnit(METADATA_SOCKET_UNIT, { Description: 'installed' });
    systemd.calls.length = 0;
    assert.equal(await ensureMetadataService(systemd, opts()), 'socket');
    assert.deepEqual(systemd.calls, []);
  });

  it('starts the installed socket unit when it is loaded but stopped', async () => {
    const systemd = new FakeSystemd();
    await systemd.startTransientUnit(METADATA_SOCKET_UNIT, { Description: 'installed' });
    systemd.units.get(METADATA_SOCKET_UNIT)!.state.activeState = 'inactive';
    systemd.calls.length = 0;
    assert.equal(await ensureMetadataService(systemd, opts()), 'socket');
    assert.deepEqual(systemd.calls, [['startUnit', METADATA_SOCKET_UNIT]]);
  });

  it('without the socket unit, starts a transient service running this sprocket on the same state directory', async () => {
    const systemd = new FakeSystemd();
    assert.equal(await ensureMetadataService(systemd, opts()), 'service');
    const unit = systemd.units.get(METADATA_SERVICE_UNIT)!;
    assert.deepEqual(unit.properties.ExecStart, [{ path: '/usr/bin/node', argv: ['/usr/bin/node', '/opt/sprocket/main.js', '--dir', '/srv/sprocket', 'metadata-service'] }]);
    assert.equal(unit.properties.CollectMode, 'inactive-or-failed');
    // A second pod start finds it running.
    systemd.calls.length = 0;
    assert.equal(await ensureMetadataService(systemd, opts()), 'service');
    assert.deepEqual(systemd.calls, [['startUnit', METADATA_SOCKET_UNIT]]);
  });

  it('replaces a failed on-demand service', async () => {
    const systemd = new FakeSystemd();
    await systemd.startTransientUnit(METADATA_SERVICE_UNIT, { Description: 'old' });
    systemd.exit(METADATA_SERVICE_UNIT, 1);
    assert.equal(await ensureMetadataService(systemd, opts()), 'service');
    assert.equal(systemd.units.get(METADATA_SERVICE_UNIT)!.properties.Description, 'sprocket appc metadata service (started on demand)');
  });

  it('fails with a hint when the service does not answer', async () => {
    const closed = net.createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await assert.rejects(
      ensureMetadataService(new FakeSystemd(), { ...opts(), probe: { host: '127.0.0.1', port }, timeoutMs: 100 }),
      (e: unknown) => e instanceof SprocketError && e.kind === 'runtime' && e.file === METADATA_SERVICE_UNIT && /mds-register/.test(e.hint ?? ''),
    );
  });
});
