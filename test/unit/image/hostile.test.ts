// Every ACI is hostile: each of these must be refused with a clear error and
// leave nothing behind in the store (no image, no blob, no temporary files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { SprocketError } from '../../../src/errors.js';
import { ImageStore } from '../../../src/image/store.js';
import { craftAci, craftTar, manifestJson, tempDir, treeOf } from './craft.js';

async function refused(aci: Buffer, message: RegExp, opts: { maxImageSize?: number; maxEntries?: number } = {}): Promise<void> {
  const dir = await tempDir();
  const file = path.join(dir, 'hostile.aci');
  await fs.writeFile(file, aci);
  const store = await ImageStore.open(path.join(dir, 'store'), { limits: opts });
  await assert.rejects(store.import(file), (e: unknown) => {
    assert.ok(e instanceof SprocketError, `not a SprocketError: ${String(e)}`);
    assert.equal(e.kind, 'invalid');
    assert.ok(e.file?.startsWith(file), `error names the ACI: ${e.file}`);
    assert.match(e.describe(), message);
    return true;
  });
  assert.deepEqual(await treeOf(store.images), ['blobs', 'tmp'], 'the store is left as it was');
  await fs.rm(dir, { recursive: true });
}

test('an entry with .. is refused', async () => {
  await refused(await craftAci([{ name: 'rootfs/../../etc/evil', body: 'x' }]), /path contains "\.\."/);
});

test('an absolute entry is refused', async () => {
  await refused(await craftAci([{ name: '/etc/evil', body: 'x' }]), /absolute path/);
});

test('an entry beside rootfs/ is refused', async () => {
  await refused(await craftAci([{ name: 'etc/passwd', body: 'x' }]), /entry outside rootfs/);
});

test('extraction through a symlink is refused and writes nothing at its target', async () => {
  const target = await tempDir('sprocket-victim-');
  await refused(await craftAci([{ name: 'rootfs/evil', type: 'symlink', linkname: target }, { name: 'rootfs/evil/planted', body: 'x' }]), /through the symlink rootfs\/evil/);
  assert.deepEqual(await fs.readdir(target), []);
  await fs.rm(target, { recursive: true });
});

test('a hard link to a target outside the tree is refused', async () => {
  await refused(await craftAci([{ name: 'rootfs/passwd', type: 'link', linkname: '/etc/passwd' }]), /absolute path/);
  await refused(await craftAci([{ name: 'rootfs/passwd', type: 'link', linkname: 'rootfs/../../etc/passwd' }]), /"\.\."/);
  await refused(await craftAci([{ name: 'rootfs/m', type: 'link', linkname: 'manifest' }]), /outside rootfs/);
  await refused(await craftAci([{ name: 'rootfs/later', type: 'link', linkname: 'rootfs/notyet' }]), /not an earlier entry/);
});

test('duplicate entries are refused', async () => {
  await refused(await craftAci([{ name: 'rootfs/a', body: '1' }, { name: 'rootfs/./a', body: '2' }]), /rootfs\/a: duplicate entry/);
  await refused(await craftTar([{ name: 'manifest', body: manifestJson() }, { name: 'manifest', body: manifestJson() }, { name: 'rootfs', type: 'directory' }]), /manifest: duplicate entry/);
});

test('a manifest larger than the bound is refused before it is read', async () => {
  const huge = manifestJson('example.com/big', { annotations: [{ name: 'x', value: 'y'.repeat(2 * 1024 * 1024) }] });
  await refused(await craftAci([], huge), /manifest is larger than 1048576 bytes/);
});

test('a decompression bomb beyond the size bound is refused', async () => {
  const bomb = gzipSync(await craftAci([{ name: 'rootfs/zeros', body: Buffer.alloc(4 * 1024 * 1024) }]));
  assert.ok(bomb.length < 64 * 1024);
  await refused(bomb, /larger than the limit of 1048576 bytes/, { maxImageSize: 1024 * 1024 });
});

test('an xz or bzip2 bomb is refused too, and too many entries', async () => {
  const tar = await craftAci([{ name: 'rootfs/zeros', body: Buffer.alloc(4 * 1024 * 1024) }]);
  await refused(execFileSync('xz', ['-c'], { input: tar }), /larger than the limit/, { maxImageSize: 1024 * 1024 });
  await refused(execFileSync('bzip2', ['-c'], { input: tar }), /larger than the limit/, { maxImageSize: 1024 * 1024 });
  await refused(await craftAci([1, 2, 3, 4].map((i) => ({ name: `rootfs/f${i}` }))), /more than 4 entries/, { maxEntries: 4 });
});

test('truncated archives are refused, compressed or not', async () => {
  const aci = await craftAci([{ name: 'rootfs/data', body: Buffer.alloc(100_000, 7) }]);
  await refused(aci.subarray(0, 50_000), /truncated/);
  await refused(aci.subarray(0, aci.length - 1024), /truncated archive: no end-of-archive marker/); // cut at an entry boundary
  const gz = gzipSync(aci);
  await refused(gz.subarray(0, gz.length - 100), /corrupt or truncated archive/);
});

test('an archive without a manifest or rootfs, or with a bad manifest, is refused', async () => {
  await refused(await craftTar([{ name: 'rootfs', type: 'directory' }]), /no manifest/);
  await refused(await craftTar([{ name: 'manifest', body: manifestJson() }]), /no rootfs/);
  await refused(await craftAci([], '{"acKind": "ImageManifest"'), /not valid JSON/);
  await refused(await craftTar([{ name: 'manifest', body: manifestJson() }, { name: 'rootfs', body: 'file' }]), /rootfs is not a directory/);
});

test('an entry that replaces a directory it already filled is refused', async () => {
  await refused(await craftAci([{ name: 'rootfs/d/f', body: 'x' }, { name: 'rootfs/d', type: 'symlink', linkname: '/' }]), /replaces a directory/);
});

test('a file that is no ACI at all is refused', async () => {
  await refused(Buffer.from('hello, world\n'), /not an ACI/);
});
