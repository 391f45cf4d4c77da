// The start-up snapshot of the CLI (scripts/bundle.mjs, docs/performance.md)
// run as the package's launcher runs it: commands whose modules are loaded
// when used (here a built-in module by import(), which a snapshot cannot
// run) work from it as from the bundle.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildAci } from '../../support/aci-tar.js';
import { runCommand } from '../../support/command.js';
import { CHECKOUT } from '../../support/host.js';

const BLOB = path.join(CHECKOUT, `dist/snapshot/sprocket-${process.version}.blob`);
/** The app's entry, the first argument after the blob as the launcher passes it (the app's files are found from it). */
const ENTRY = path.join(CHECKOUT, 'dist/src/cli/main.js');
let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sprocket-snapshot-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('image cat-manifest of a file runs from the snapshot (node:fs/promises loaded by import())', async () => {
  const aci = path.join(dir, 'hello.aci');
  await writeFile(aci, await buildAci({ name: 'example.com/hello', labels: [{ name: 'version', value: '1.0.0' }] }));
  const r = await runCommand(process.execPath, ['--snapshot-blob', BLOB, '--', ENTRY, 'image', 'cat-manifest', aci]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).name, 'example.com/hello');
});

test('cat-manifest of a pod runs from the snapshot and names the pod it cannot find', async () => {
  const r = await runCommand(process.execPath, ['--snapshot-blob', BLOB, '--', ENTRY, '--dir', dir, 'cat-manifest', 'no-such-pod']);
  assert.equal(r.code, 254, r.stderr);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.match(r.stderr, /no-such-pod/);
});

test('the snapshot without the app\'s entry as first argument says how it is run', async () => {
  const r = await runCommand(process.execPath, ['--snapshot-blob', BLOB, '--', '--version']);
  assert.equal(r.code, 254);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /runs as node --snapshot-blob BLOB -- APP\/dist\/src\/cli\/main\.js ARGS/);
});

test('xml2js and jsbi, left out of the snapshot for dbus-next, work as the real packages once required at run time', async () => {
  const app = await import('../../../src/cli/snapshot-app.js');
  app.restoredFor(ENTRY);
  const { createRequire } = await import('node:module');
  const real = createRequire(path.join(CHECKOUT, 'package.json'))('xml2js') as typeof app.xml2jsOnDemand;
  const root = { node: { $: { name: '/org/example' }, interface: [{ $: { name: 'org.example.A' } }] } };
  const xml = new app.xml2jsOnDemand.Builder({ headless: true }).buildObject(root);
  assert.equal(xml, new real.Builder({ headless: true }).buildObject(root));
  const parsed = await new Promise((resolve, reject) => new app.xml2jsOnDemand.Parser().parseString(xml, (err, r) => (err ? reject(err) : resolve(r))));
  assert.deepEqual(parsed, root);
  const jsbi = app.onDemand('jsbi') as { BigInt(n: number): unknown; toNumber(v: unknown): number };
  assert.equal(jsbi.toNumber(jsbi.BigInt(42)), 42);
});

test('a manifest the snapshot\'s schemas refuse is named with its field, as the bundle names it', async () => {
  const layout = path.join(dir, 'bad-layout');
  await mkdir(path.join(layout, 'rootfs'), { recursive: true });
  await writeFile(path.join(layout, 'manifest'), JSON.stringify({ acKind: 'ImageManifest', acVersion: '0.8.11', name: 'Not An Identifier', app: { exec: ['/bin/true'], user: '0', group: '0' } }));
  const args = ['image', 'build', layout, path.join(dir, 'bad.aci')];
  const fromSnapshot = await runCommand(process.execPath, ['--snapshot-blob', BLOB, '--', ENTRY, ...args]);
  const fromBundle = await runCommand(process.execPath, [ENTRY, ...args]);
  assert.equal(fromSnapshot.code, 254, fromSnapshot.stderr);
  assert.match(fromSnapshot.stderr, new RegExp(`${path.join(layout, 'manifest')}: name: "Not An Identifier" is not an AC identifier`));
  assert.equal(fromSnapshot.stderr, fromBundle.stderr);
});

test('the snapshot\'s script keeps what its modules do not use of zod out, and imports node:path and node:fs/promises once', async () => {
  const script = await readFile(path.join(CHECKOUT, 'dist/snapshot/sprocket.cjs'), 'utf8');
  // zod's JSON Schema importer: no module of sprocket uses it, so only a namespace object of zod would keep it.
  assert.doesNotMatch(script, /\bfromJSONSchema\b/);
  // A copy of the module's exports for each module that imports it: every start would restore them.
  assert.doesNotMatch(script, /__toESM\(require\("node:(path|fs\/promises)"\)/);
});

test('pods prepared from the snapshot get pod UUIDs of their own (nothing random is kept from its build, src/cli/snapshot-warm.ts)', async () => {
  const state = path.join(dir, 'uuid-state');
  const aci = path.join(dir, 'uuid.aci');
  await writeFile(aci, await buildAci({ name: 'example.com/uuid' }));
  const fromSnapshot = (args: string[]) => runCommand(process.execPath, ['--snapshot-blob', BLOB, '--', ENTRY, '--dir', state, ...args]);
  const imported = await fromSnapshot(['image', 'import', aci]);
  assert.equal(imported.code, 0, imported.stderr);
  // The program is on an empty volume: the image needs no files.
  const prepare = ['prepare', '--mds-register=false', '--net=host', '--volume', 'v,kind=empty', 'example.com/uuid', '--exec', '/v/run', '--mount', 'volume=v,target=/v'];
  const uuids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await fromSnapshot(prepare);
    assert.equal(r.code, 0, r.stderr);
    uuids.push(r.stdout.trim());
  }
  assert.match(uuids[0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(uuids[0], uuids[1]);
});
