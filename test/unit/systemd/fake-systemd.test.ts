import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSystemd } from '../../support/fake-systemd.js';

describe('FakeSystemd', () => {
  it('starts, fails, refuses a second start and forgets on reset, like systemd', async () => {
    const systemd = new FakeSystemd();
    await systemd.startTransientUnit('a.service', { ExecStart: [{ path: '/bin/true', argv: ['true'] }], LogExtraFields: { X: 'y' } });
    assert.equal((await systemd.getUnitState('a.service'))?.activeState, 'active');
    assert.deepEqual((await systemd.getUnitProperties('a.service')).LogExtraFields, ['X=y']);
    await assert.rejects(systemd.startTransientUnit('a.service', {}), { kind: 'conflict' });
    await assert.rejects(systemd.startTransientUnit('b.service', { Slice: 'x' }), { kind: 'invalid', field: 'Slice' });
    systemd.exit('a.service', 2);
    assert.deepEqual(await systemd.getUnitState('a.service').then((s) => [s?.activeState, s?.execMainStatus]), ['failed', 2]);
    await systemd.resetFailedUnit('a.service');
    assert.equal(await systemd.getUnitState('a.service'), null);
  });
});
