import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmUpRun } from '../../../src/cli/snapshot-warm.js';

// The warm-up runs while every blob is made (npm run build, the package's
// postinst): the made-up command lines, images and trees must still make
// plans and units as the code now wants them.
test('the snapshot\'s warm-up plans and starts its made-up pods in memory', async () => {
  const started = await warmUpRun();
  assert.deepEqual(started.map((p) => [p.network, p.apps.map((a) => [a.name, a.uid, a.exec.join(' ')])]), [
    ['host', [['a', 0, '/bin/sh -c echo a'], ['b', 0, '/bin/sh -c echo b']]],
    ['contained', [['a', 0, '/bin/sh -c echo a'], ['b', 0, '/bin/sh -c echo b']]],
  ]);
});
