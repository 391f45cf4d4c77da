import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rehearsePodStart } from '../../../src/systemd/rehearsal.js';

test('the rehearsed pod start sends what run -d sends, through dbus-next\'s writer and reader, and reads the unit back', async () => {
  const unit = 'sprocket-rehearsal.service';
  const { calls, state } = await rehearsePodStart(unit, { Description: 'a pod', Type: 'notify', ExecStart: [{ path: '/bin/true', argv: ['/bin/true', '$x'] }], Delegate: true }, [
    { name: 'sprocket-halt-rehearsal.service', properties: { Type: 'oneshot', BindsTo: [unit] } },
  ]);
  const members = calls.map(([member]) => member);
  assert.deepEqual(members.slice(0, 3).sort(), ['AddMatch', 'Hello', 'Subscribe']);
  assert.deepEqual(members.slice(3), ['GetUnit', 'StartTransientUnit', 'GetUnit', 'Get', 'GetUnit', 'GetAll', 'GetAll']);
  assert.deepEqual(calls.filter(([m]) => m === 'GetUnit').map(([, name]) => name), ['rehearsal-absent.socket', unit, unit]);
  assert.equal(calls.find(([m]) => m === 'StartTransientUnit')![1], unit);
  assert.equal(state?.activeState, 'active');
  assert.equal(state?.mainPID, 1);
  assert.equal(state?.execMainStartTimestamp, 1);
  assert.equal(state?.invocationId, '01'.repeat(16));
});
