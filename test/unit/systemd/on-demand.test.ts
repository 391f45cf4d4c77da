import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemdOnDemand } from '../../../src/systemd/on-demand.js';
import type { Systemd } from '../../../src/systemd/systemd.js';

const settled = (p: Promise<unknown>) => Promise.race([p.then(() => true, () => true), new Promise((r) => setTimeout(() => r(false), 50))]);

describe('systemdOnDemand', () => {
  it('connects on the first call only', async () => {
    let connects = 0;
    const systemd = systemdOnDemand(async () => {
      connects++;
      return { getUnitState: async () => undefined } as unknown as Systemd;
    });
    assert.equal(connects, 0);
    await systemd.getUnitState('a.service');
    await systemd.getUnitState('b.service');
    assert.equal(connects, 1);
  });

  it('startRequested resolves once the start request is sent, before its reply', async () => {
    let sent = 0;
    const systemd = systemdOnDemand(async () => ({ startTransientUnit: () => (sent++, new Promise(() => {})) }) as unknown as Systemd);
    assert.equal(await settled(systemd.startRequested), false);
    const start = systemd.startTransientUnit('p.service', {});
    await systemd.startRequested;
    assert.equal(sent, 1);
    assert.equal(await settled(start), false, 'the reply is still awaited');
  });

  it('startRequested resolves when the connection failed, and the start fails with its error', async () => {
    const systemd = systemdOnDemand(async () => {
      throw new Error('no bus');
    });
    await assert.rejects(systemd.startTransientUnit('p.service', {}), /no bus/);
    await systemd.startRequested;
  });
});
