import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readAppHealth } from '../../../src/pod/health-status.js';

test("an app's health from the keeper's file: starting before the first check, the last check's result and output after", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sprocket-health-'));
  assert.deepEqual(readAppHealth(dir, 'web'), { state: 'starting', failures: 0 });
  await writeFile(path.join(dir, 'web.health'), 'unhealthy 3 1796305934563 7d9ac32054aa4fc1bbed3c5486947c2c exit-code 1\nwget: server returned error\nsecond line\n');
  assert.deepEqual(readAppHealth(dir, 'web'), {
    state: 'unhealthy', failures: 3, checked: new Date(1796305934563).toISOString(), result: 'exit-code', exitStatus: 1,
    output: 'wget: server returned error\nsecond line\n',
  });
  // A timeout has no exit status; no output, none shown.
  await writeFile(path.join(dir, 'web.health'), 'healthy 0 1796305934563 - timeout -\n');
  assert.deepEqual(readAppHealth(dir, 'web'), { state: 'healthy', failures: 0, checked: new Date(1796305934563).toISOString(), result: 'timeout' });
  // Anything else is not trusted to say more than "starting".
  await writeFile(path.join(dir, 'web.health'), 'fine 0 x\n');
  assert.deepEqual(readAppHealth(dir, 'web'), { state: 'starting', failures: 0 });
});
