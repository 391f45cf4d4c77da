// How a benchmark ends when a pod did not come up (bench/lib/pod-failure.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { failureOutcome, smokeFlag } from '../../../bench/lib/pod-failure.js';

describe('bench: a pod that did not come up', () => {
  it('fails the run with the reason, but only prints it in --smoke mode', () => {
    assert.deepEqual(failureOutcome('density', 'stopped at pod 41: inotify', false), { exitCode: 1, text: 'density: FAILED, the figures above are incomplete: stopped at pod 41: inotify' });
    assert.deepEqual(failureOutcome('density', 'stopped at pod 41: inotify', true), { exitCode: 0, text: 'density: FAILED (ignored in --smoke mode): stopped at pod 41: inotify' });
    assert.deepEqual(failureOutcome('density', '', false), { exitCode: 0, text: '' });
  });

  it('takes --smoke out of the numeric flags', () => {
    assert.deepEqual(smokeFlag(['--count', '3', '--smoke']), [true, ['--count', '3']]);
    assert.deepEqual(smokeFlag(['--count=3']), [false, ['--count=3']]);
  });
});
