import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSprocket } from '../support/cli.js';
import { podTable } from '../../src/cli/list.js';

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

test("list's UNIT column: the pod's own transient unit, or the operator's service of an inline pod", () => {
  const pod = (uuid: string, unit: string) => ({ uuid, state: 'running' as const, unit, machine: `sprocket-${uuid}`, created: '2026-01-02T10:11:12.000Z', apps: [{ name: 'web', image: 'sha512-aa', imageName: 'example.com/web', state: 'running' as const }] });
  const uuid = '6f1a3c2e-9d4b-4c8a-b1e2-3f4a5b6c7d8e';
  const lines = podTable([pod(uuid, `sprocket-${uuid}.service`), pod(uuid.replace('6f', '7a'), 'web.service')], false, true).split('\n');
  assert.deepEqual(lines[0]!.split(/\s+/), ['UUID', 'NAME', 'APPS', 'IMAGES', 'STATE', 'UNIT', 'NETWORKS', 'CREATED', 'STARTED']);
  assert.deepEqual(lines.slice(1, 3).map((l) => l.split(/\s+/)[5]), [`sprocket-${uuid}.service`, 'web.service']);
});
