import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { wireProperties } from '../../../src/systemd/unit-properties.js';
import { plain } from '../../../src/systemd/bus.js';
import { unitStateFrom } from '../../../src/systemd/unit-state.js';
import { SprocketError } from '../../../src/errors.js';

describe('wireProperties', () => {
  it('gives each property its D-Bus signature and wire value', () => {
    const wire = wireProperties('sprocket-x.service', {
      Description: 'pod x',
      ExecStart: [{ path: '/usr/bin/systemd-nspawn', argv: ['systemd-nspawn', '--boot'] }],
      ExecStopPost: [{ path: '/bin/true', argv: ['true'], ignoreFailure: true }],
      Slice: 'machine.slice',
      Delegate: true,
      Environment: { A: '1', B_2: 'x=y' },
      LogExtraFields: { SPROCKET_POD: 'abc' },
      SuccessExitStatus: [3, 4],
      TimeoutStopUSec: 'infinity',
      MemoryMax: 1024,
      KillSignal: 15,
    });
    const byName = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
    assert.deepEqual(wire.sort(byName), [
      ['Description', 's', 'pod x'],
      ['ExecStart', 'a(sasb)', [['/usr/bin/systemd-nspawn', ['systemd-nspawn', '--boot'], false]]],
      ['ExecStopPost', 'a(sasb)', [['/bin/true', ['true'], true]]],
      ['Slice', 's', 'machine.slice'],
      ['Delegate', 'b', true],
      ['Environment', 'as', ['A=1', 'B_2=x=y']],
      ['LogExtraFields', 'aay', [Buffer.from('SPROCKET_POD=abc')]],
      ['SuccessExitStatus', '(aiai)', [[3, 4], []]],
      ['TimeoutStopUSec', 't', 2n ** 64n - 1n],
      ['MemoryMax', 't', 1024n],
      ['KillSignal', 'i', 15],
    ].sort(byName));
  });

  const rejects = (props: object, field: string, message: RegExp) => {
    assert.throws(
      () => wireProperties('u.service', props as never),
      (e: unknown) => e instanceof SprocketError && e.kind === 'invalid' && e.file === 'u.service' && e.field === field && message.test(e.message),
    );
  };

  it('names the unit and the property that is wrong', () => {
    rejects({ ExecStart: [{ path: 'sh', argv: ['sh'] }] }, 'ExecStart.0.path', /absolute path/);
    rejects({ ExecStart: [{ path: '/bin/sh', argv: [] }] }, 'ExecStart.0.argv', /argv\[0\]/);
    rejects({ Environment: { 'A-B': 'x' } }, 'Environment.A-B', /environment variable name/);
    rejects({ LogExtraFields: { _PID: '1' } }, 'LogExtraFields._PID', /journal field name/);
    rejects({ Slice: 'machine' }, 'Slice', /\.slice/);
    rejects({ KillMode: 'all' }, 'KillMode', /./);
  });

  it('refuses properties it does not know', () => {
    assert.throws(() => wireProperties('u.service', { Bogus: 1 } as never), /unknown unit property Bogus/);
  });
});

describe('plain', () => {
  it('turns 64-bit integers into numbers, UINT64_MAX into Infinity, byte arrays into strings', () => {
    assert.deepEqual(plain([5n, 2n ** 64n - 1n, 2n ** 60n, Buffer.from('A=b'), 'x', true]), [5, Infinity, 2n ** 60n, 'A=b', 'x', true]);
  });
});

describe('unitStateFrom', () => {
  it('reads a failed service, with no timestamps where systemd has 0', () => {
    const s = unitStateFrom(
      'x.service',
      { LoadState: 'loaded', ActiveState: 'failed', SubState: 'failed', InvocationID: '0123456789abcdef0123456789abcdef', ActiveEnterTimestamp: 0, InactiveEnterTimestamp: 1_700_000_000_000_000 },
      { Result: 'exit-code', MainPID: 0, ExecMainPID: 42, ExecMainCode: 1, ExecMainStatus: 3, ExecMainStartTimestamp: 1, ExecMainExitTimestamp: 2 },
    );
    assert.deepEqual(s, {
      name: 'x.service',
      loadState: 'loaded',
      activeState: 'failed',
      subState: 'failed',
      invocationId: '0123456789abcdef0123456789abcdef',
      result: 'exit-code',
      mainPID: 0,
      execMainPID: 42,
      execMainCode: 1,
      execMainStatus: 3,
      activeEnterTimestamp: null,
      inactiveEnterTimestamp: 1_700_000_000_000_000,
      execMainStartTimestamp: 1,
      execMainExitTimestamp: 2,
    });
  });

  it('has no result for a unit that is not a service', () => {
    assert.equal(unitStateFrom('m.slice', { LoadState: 'loaded', ActiveState: 'active', SubState: 'active' }, null).result, null);
  });
});
