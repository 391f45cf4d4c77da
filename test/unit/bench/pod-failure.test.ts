// How a benchmark ends when a pod did not come up (bench/lib/pod-failure.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureOutcome } from '../../../bench/lib/pod-failure.js';

test('a pod that did not come up fails the benchmark (exit 1) and says why; bench/smoke included', () => {
  assert.deepEqual(failureOutcome('density', 'stopped at pod 41: inotify'), { exitCode: 1, text: 'density: FAILED, the figures above are incomplete: stopped at pod 41: inotify' });
  assert.deepEqual(failureOutcome('density', ''), { exitCode: 0, text: '' });
});
