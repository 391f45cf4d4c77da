// image verify: blobs rehashed, rendered trees compared with a fresh render.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ImageStore } from '../../../src/image/store.js';
import { verifyImage } from '../../../src/image/verify.js';
import { runSprocket } from '../../support/cli.js';
import { craftAci, manifestJson, tempDir } from './craft.js';

async function setup() {
  const dir = await tempDir();
  const store = await ImageStore.open(path.join(dir, 'store'));
  const importAci = async (name: string, aci: Buffer) => {
    await fs.writeFile(path.join(dir, name), aci);
    return (await store.import(path.join(dir, name))).id;
  };
  const base = await importAci('base.aci', await craftAci([
    { name: 'rootfs/etc', type: 'directory', mode: 0o755 },
    { name: 'rootfs/etc/os', body: 'base' },
    { name: 'rootfs/bin', type: 'symlink', linkname: 'usr/bin' },
  ], manifestJson('example.com/base')));
  const app = await importAci('app.aci', await craftAci([{ name: 'rootfs/etc/os', body: 'app' }, { name: 'rootfs/app', body: 'a', mode: 0o755 }], manifestJson('example.com/app', { dependencies: [{ imageName: 'example.com/base' }] })));
  return { dir, store, base, app };
}

test('images as imported verify, dependencies included', async () => {
  const { dir, store, base, app } = await setup();
  assert.deepEqual(await verifyImage(store, base), []);
  assert.deepEqual(await verifyImage(store, app), []);
  await fs.rm(dir, { recursive: true });
});

test('a corrupt blob is named: it no longer hashes to its image ID', async () => {
  const { dir, store, base, app } = await setup();
  const blob = store.blobPath(base);
  const bytes = await fs.readFile(blob);
  bytes[bytes.length - 2048] ^= 0xff; // inside the tar, past the manifest
  await fs.writeFile(blob, bytes);
  const [problem, ...rest] = await verifyImage(store, base);
  assert.match(problem!, /^the blob hashes to sha512-[0-9a-f]{128}$/);
  assert.deepEqual(rest, []);
  // The image built on it names the bad layer.
  assert.deepEqual(await verifyImage(store, app), [`dependency ${base}: ${problem}`]);
  await fs.rm(dir, { recursive: true });
});

test('an altered, added, removed or re-owned file of a rendered tree is named', async () => {
  const { dir, store, app } = await setup();
  const tree = store.treePath(app);
  await fs.writeFile(path.join(tree, 'etc/os'), 'tampered');
  await fs.writeFile(path.join(tree, 'extra'), 'x');
  await fs.rm(path.join(tree, 'app'));
  await fs.chmod(path.join(tree, 'etc'), 0o777);
  const [problem] = await verifyImage(store, app);
  assert.match(problem!, /^the rendered tree differs from its blobs: /);
  assert.match(problem!, /\/app: missing/);
  assert.match(problem!, /\/etc: directory mode 755 owner 0:0 expected, directory mode 777 owner 0:0 found/);
  assert.match(problem!, /\/etc\/os: file mode 644 .* size 3 .* expected, file mode 644 .* size 8 .* found/);
  assert.match(problem!, /\/extra: not in the image/);
  await fs.rm(dir, { recursive: true });
});

test('sprocket image verify: "verified ID" per good image; each bad one named on stderr, exit 254', async () => {
  const { dir, store, base, app } = await setup();
  const verify = (...args: string[]) => runSprocket(['--dir', path.join(dir, 'store'), 'image', 'verify', ...args]);
  const ok = await verify();
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, [base, app].sort().map((id) => `verified ${id}\n`).join(''));
  await fs.appendFile(path.join(store.treePath(app), 'etc/os'), '!');
  const bad = await verify('example.com/app', 'example.com/base', 'example.com/none');
  assert.equal(bad.code, 254);
  assert.equal(bad.stdout, `verified ${base}\n`);
  assert.match(bad.stderr, /^sprocket: images that do not verify \(2\):\n {2}example\.com\/none: .*: no image example\.com\/none in the store/m);
  assert.match(bad.stderr, new RegExp(`^ {2}${app}: the rendered tree differs from its blobs: /etc/os: `, 'm'));
  await fs.rm(dir, { recursive: true });
});
