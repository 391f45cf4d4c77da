import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SprocketError } from '../../../src/errors.js';
import { POD_STATUS_NAMES } from '../../../src/pod/state.js';
import { assertPodMay, podMay, type PodOperation } from '../../../src/pod/transitions.js';

const UUID = '0b3c7e9a-5f1d-4c2b-9a8e-1f2d3c4b5a69';

test('each operation is allowed in exactly the states docs/pods.md names', () => {
  const expected: Record<PodOperation, string[]> = {
    start: ['prepared'],
    stop: ['running'],
    enter: ['running'],
    remove: ['prepared', 'exited', 'garbage', 'unknown'],
    collect: ['prepared', 'exited', 'garbage'],
    export: ['exited'],
  };
  for (const [op, states] of Object.entries(expected) as [PodOperation, string[]][]) {
    assert.deepEqual(POD_STATUS_NAMES.filter((s) => podMay(op, s)), states, op);
  }
});

test('a refused operation is a conflict naming the pod, its state and what to do', () => {
  assert.throws(() => assertPodMay('remove', UUID, 'running'), (e: unknown) => {
    assert.ok(e instanceof SprocketError);
    assert.equal(e.kind, 'conflict');
    assert.equal(e.describe(), `${UUID}: pod ${UUID} is running: it cannot be removed\n  hint: stop it first: sprocket stop ${UUID}`);
    return true;
  });
  assert.throws(() => assertPodMay('start', UUID, 'exited'), /pod .* is exited: it cannot be started/);
  assert.throws(() => assertPodMay('remove', UUID, 'preparing'), /is preparing: it cannot be removed/);
  assertPodMay('start', UUID, 'prepared');
});
