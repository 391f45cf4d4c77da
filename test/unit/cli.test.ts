import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSprocket } from '../support/cli.js';

test('sprocket --version prints the package version', async () => {
  const r = await runSprocket(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('an unknown option exits 64 and names the option', async () => {
  const r = await runSprocket(['--no-such-flag']);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /unknown option '--no-such-flag'/);
});
