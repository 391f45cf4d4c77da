// src/systemd against the real systemd of a test host: transient units are
// started, read back, killed and stopped over D-Bus.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHECKOUT, useHost } from '../support/host.js';
import type { UnitState } from '../../src/systemd/unit-state.js';

const CALL = path.join(CHECKOUT, 'dist/test/host/systemd-call.js');

describe('systemd over D-Bus', () => {
  const host = useHost('e2e-systemd');

  const call = (op: string, unit: string, ...args: unknown[]) => host().exec(['node', CALL, op, unit, ...args.map((a) => JSON.stringify(a))]);
  async function ok(op: string, unit: string, ...args: unknown[]): Promise<unknown> {
    const r = await call(op, unit, ...args);
    assert.equal(r.code, 0, `${op} ${unit}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }
  const state = (unit: string) => ok('state', unit) as Promise<UnitState | null>;
  async function until(unit: string, activeState: string): Promise<UnitState> {
    for (let i = 0; i < 100; i++) {
      const s = await state(unit);
      if (s?.activeState === activeState) return s;
      await sleep(50);
    }
    assert.fail(`${unit} never became ${activeState}`);
  }

  it('starts a transient service, reads it back, stops it and sees it gone', async () => {
    const unit = 'e2e-hi.service';
    await ok('start', unit, {
      Description: 'sprocket e2e',
      ExecStart: [{ path: '/bin/sh', argv: ['sh', '-c', 'echo hi $FOO; sleep 30'] }],
      Environment: { FOO: 'bar' },
      LogExtraFields: { SPROCKET_TEST: 'e2e-hi' },
      KillMode: 'control-group',
      TimeoutStopUSec: 5_000_000,
      MemoryMax: 'infinity',
    });
    const s = await state(unit);
    assert.equal(s?.activeState, 'active');
    assert.equal(await ok('active-state', unit), 'active');
    assert.equal(s?.subState, 'running');
    assert.ok(s!.mainPID > 0 && s!.mainPID === s!.execMainPID);
    assert.ok(s!.activeEnterTimestamp! > Date.UTC(2020, 0) * 1000);

    const service = (await ok('properties', unit, 'Service')) as Record<string, unknown>;
    assert.deepEqual(service.Environment, ['FOO=bar']);
    assert.equal(service.KillMode, 'control-group');
    assert.equal(service.TimeoutStopUSec, 5_000_000);
    assert.equal(service.MemoryMax, 'infinity');
    assert.deepEqual(service.LogExtraFields, ['SPROCKET_TEST=e2e-hi']);
    assert.equal(((await ok('properties', unit)) as Record<string, unknown>).Description, 'sprocket e2e');

    await host().run(['journalctl', '--sync']);
    const log = await host().run(['journalctl', '--no-pager', '-o', 'cat', 'SPROCKET_TEST=e2e-hi']);
    assert.equal(log, 'hi bar\n');

    await ok('stop', unit);
    assert.equal(await state(unit), null);
    assert.equal(await ok('active-state', unit), null);
    // Stopping what is gone is fine.
    await ok('stop', unit);
  });

  it('reads back the exit status of a failed unit and forgets it on reset', async () => {
    const unit = 'e2e-fail.service';
    await ok('start', unit, { ExecStart: [{ path: '/bin/sh', argv: ['sh', '-c', 'exit 3'] }] });
    const s = await until(unit, 'failed');
    assert.equal(s.result, 'exit-code');
    assert.equal(s.execMainCode, 1);
    assert.equal(s.execMainStatus, 3);
    assert.equal(s.mainPID, 0);
    await ok('reset-failed', unit);
    assert.equal(await state(unit), null);
  });

  it('kills the main process of a unit with a signal', async () => {
    const unit = 'e2e-kill.service';
    await ok('start', unit, { ExecStart: [{ path: '/bin/sleep', argv: ['sleep', '30'] }] });
    await ok('kill', unit, 9, 'main');
    const s = await until(unit, 'failed');
    assert.equal(s.result, 'signal');
    assert.equal(s.execMainCode, 2);
    assert.equal(s.execMainStatus, 9);
    await ok('reset-failed', unit);
  });

  it('fails to start a unit that exists, and a oneshot whose command fails', async () => {
    const unit = 'e2e-twice.service';
    const props = { ExecStart: [{ path: '/bin/sleep', argv: ['sleep', '30'] }] };
    await ok('start', unit, props);
    const again = await call('start', unit, props);
    assert.equal(again.code, 254);
    assert.match(again.stderr, /^conflict: e2e-twice\.service: start transient unit: /);
    await ok('stop', unit);

    const oneshot = await call('start', 'e2e-oneshot.service', { Type: 'oneshot', ExecStart: [{ path: '/bin/false', argv: ['false'] }] });
    assert.equal(oneshot.code, 254);
    assert.match(oneshot.stderr, /^runtime: e2e-oneshot\.service: start transient unit: job failed/);
    assert.equal((await state('e2e-oneshot.service'))?.execMainStatus, 1);
  });
});
