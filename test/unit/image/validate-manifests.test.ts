import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runSprocket } from '../../support/cli.js';
import { appcExample } from '../../support/fixtures.js';

test('image validate accepts a runnable pod manifest', async () => {
  const r = await runSprocket(['image', 'validate', appcExample('pod_runtime.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pod_runtime\.json: valid pod manifest \(3 apps\)\n$/);
});

test('image validate says what a pod template lacks to be run', async () => {
  const r = await runSprocket(['image', 'validate', appcExample('pod_template.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /a pod template; to run it, fill in:\n  apps\[1\]\.image\.id: missing image ID\n  apps\[2\]\.image\.id: missing image ID\n$/);
});

test('image validate names the kinds that exist for an unknown acKind', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sprocket-validate-'));
  const file = path.join(dir, 'foo.json');
  await fs.writeFile(file, '{"acKind":"Foo","acVersion":"0.8.11"}');
  const r = await runSprocket(['image', 'validate', file]);
  await fs.rm(dir, { recursive: true });
  assert.equal(r.code, 254);
  assert.match(r.stderr, /acKind: "Foo" is not an AC kind \(kinds: ImageManifest, PodManifest\)/);
});
