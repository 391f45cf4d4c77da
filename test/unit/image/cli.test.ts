// The `sprocket image` commands as an operator runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runSprocket } from '../../support/cli.js';
import { craftAci, manifestJson, tempDir } from './craft.js';

test('image build, validate, import, list, export, extract and rm from the command line', async () => {
  const dir = await tempDir();
  const sprocket = (...args: string[]) => runSprocket(['--dir', path.join(dir, 'store'), 'image', ...args]);
  await fs.mkdir(path.join(dir, 'layout/rootfs/bin'), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(dir, 'layout/rootfs/bin/busybox'));
  await fs.writeFile(path.join(dir, 'layout/manifest'), manifestJson('example.com/busybox', { labels: [{ name: 'version', value: '1.0' }] }));
  const aci = path.join(dir, 'busybox.aci');
  assert.equal((await sprocket('build', '--owner-root', path.join(dir, 'layout'), aci)).code, 0);
  const again = await sprocket('build', path.join(dir, 'layout'), aci);
  assert.equal(again.code, 254);
  assert.match(again.stderr, /busybox\.aci: file exists\n {2}hint: use --overwrite/);

  const validated = await sprocket('validate', aci, path.join(dir, 'layout'));
  assert.equal(validated.code, 0, validated.stderr);
  const id = /valid ACI (sha512-[0-9a-f]{128})/.exec(validated.stdout)?.[1];
  assert.ok(id);
  assert.equal((await sprocket('import', aci)).stdout, `${id}\n`);

  const listed = JSON.parse((await sprocket('list', '--format', 'json')).stdout) as { id: string; name: string }[];
  assert.deepEqual(listed.map((i) => [i.id, i.name]), [[id, 'example.com/busybox']]);
  assert.match((await sprocket('list')).stdout, /^ID +NAME +VERSION.*\nsha512-[0-9a-f]{12} +example\.com\/busybox +1\.0 /);
  assert.match((await sprocket('cat-manifest', 'example.com/busybox:1.0')).stdout, /"name":"example.com\/busybox"/);

  const out = path.join(dir, 'exported.aci');
  assert.equal((await sprocket('export', id.slice(0, 16), out)).code, 0);
  assert.ok((await fs.readFile(out)).equals(await fs.readFile(aci)));
  assert.equal((await sprocket('extract', '--rootfs-only', id, path.join(dir, 'x'))).code, 0);
  assert.deepEqual(await fs.readdir(path.join(dir, 'x/bin')), ['busybox']);

  assert.equal((await sprocket('rm', 'example.com/busybox')).stdout, `removed ${id}\n`);
  const gone = await sprocket('rm', id);
  assert.equal(gone.code, 254);
  assert.match(gone.stderr, /no image sha512-[0-9a-f]+ in the store/);
  await fs.rm(dir, { recursive: true });
});

test('image import of a hostile ACI exits 254 naming the file and the entry', async () => {
  const dir = await tempDir();
  const aci = path.join(dir, 'evil.aci');
  await fs.writeFile(aci, await craftAci([{ name: 'rootfs/../escape', body: 'x' }]));
  const r = await runSprocket(['--dir', path.join(dir, 'store'), 'image', 'import', aci]);
  assert.equal(r.code, 254);
  assert.equal(r.stderr, `sprocket: ${aci}: entry "rootfs/../escape": path contains ".."\n`);
  const bomb = await runSprocket(['--dir', path.join(dir, 'store'), 'image', 'validate', '--max-image-size', '1K', aci]);
  assert.match(bomb.stderr, /larger than the limit of 1024 bytes/);
  const badSize = await runSprocket(['image', 'validate', '--max-image-size', 'lots', aci]);
  assert.equal(badSize.code, 64);
  await fs.rm(dir, { recursive: true });
});
