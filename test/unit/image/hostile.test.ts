// Every ACI is hostile: each of these must be refused with a clear error and
// leave nothing behind in the store (no image, no blob, no temporary files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { SprocketError } from '../../../src/errors.js';
import { ImageStore } from '../../../src/image/store.js';
import { readAci, type EntrySink } from '../../../src/image/aci-reader.js';
import { imageLimits, type ImageLimits } from '../../../src/image/limits.js';
import { craftAci, craftTar, manifestJson, paxRecord, tempDir, treeOf, withTypeflag } from './craft.js';

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


test('a PAX global header that sets path (or linkpath, size) is refused; one with a comment is not', async () => {
  // The first entry becomes the global header (typeflag g).
  const aci = async (records: string) => withTypeflag(await craftTar([
    { name: 'pax_global_header', body: records }, { name: 'manifest', body: manifestJson() }, { name: 'rootfs', type: 'directory', mode: 0o755 },
    { name: 'rootfs/a', body: 'a', pax: { comment: 'local' } },
  ]), 0, 'g');
  await refused(await aci(paxRecord('path', 'rootfs/elsewhere')), /a PAX global header sets path: tar readers disagree/);
  await refused(await aci(paxRecord('linkpath', '/etc/shadow')), /sets linkpath/);
  // git archive writes one with the commit as comment.
  const dir = await tempDir();
  const file = path.join(dir, 'git.aci');
  await fs.writeFile(file, await aci(paxRecord('comment', 'f'.repeat(40))));
  const store = await ImageStore.open(path.join(dir, 'store'));
  assert.equal((await store.import(file)).manifest.name, 'example.com/test');
  await fs.rm(dir, { recursive: true });
});

test('an entry name holding a line break is refused', async () => {
  await refused(await craftAci([{ name: 'rootfs/a\nrootfs/b' }]), /entry "rootfs\/a\\nrootfs\/b": path contains a line break/);
  await refused(await craftAci([{ name: 'rootfs/c\r' }]), /line break/);
});

/** Reads `aci` with these limits and a sink that counts the bytes it gets. */
async function readCounting(aci: Buffer, limits: Partial<ImageLimits>, free?: () => Promise<number>) {
  const dir = await tempDir();
  const file = path.join(dir, 'x.aci');
  await fs.writeFile(file, aci);
  let written = 0;
  const sink: EntrySink = async (_e, body) => {
    for await (const c of body) written += c.length;
  };
  const result = await readAci(file, sink, { limits: imageLimits(limits), diskDir: dir, ...(free ? { freeSpace: free } : {}) }).then(() => undefined, (e: unknown) => e);
  await fs.rm(dir, { recursive: true });
  return { error: result as SprocketError | undefined, written };
}

test('a decompression bomb is refused once past the floor, by its ratio, having extracted little', async () => {
  const bomb = gzipSync(await craftAci([{ name: 'rootfs/zeros', body: Buffer.alloc(32 * 1024 * 1024) }]));
  assert.ok(bomb.length < 64 * 1024, `${bomb.length} bytes of gzip`);
  const { error, written } = await readCounting(bomb, { ratioFloor: 4 * 1024 * 1024 });
  assert.ok(error instanceof SprocketError && error.kind === 'invalid', String(error));
  assert.match(error.describe(), /grows beyond 100 times the compressed bytes read .*: a decompression bomb\n  hint: .*SPROCKET_MAX_COMPRESSION_RATIO/);
  assert.ok(written < 8 * 1024 * 1024, `extracted ${written} bytes`);
  // Past the floor at an ordinary ratio, or a bigger ratio allowed: read to the end.
  const mixed = Buffer.concat([randomBytes(4 * 1024 * 1024), Buffer.alloc(8 * 1024 * 1024)]);
  assert.equal((await readCounting(gzipSync(await craftAci([{ name: 'rootfs/mixed', body: mixed }])), { ratioFloor: 1024 * 1024 })).error, undefined);
  assert.equal((await readCounting(bomb, { ratioFloor: 4 * 1024 * 1024, maxCompressionRatio: 2000 })).error, undefined);
  assert.deepEqual([imageLimits().maxCompressionRatio, imageLimits().ratioFloor], [100, 256 * 1024 * 1024]);
});

test('extraction stops before the disk fills: free space is checked before and while extracting', async () => {
  const big = await craftAci([{ name: 'rootfs/zeros', body: Buffer.alloc(40 * 1024 * 1024) }]);
  const before = await readCounting(big, { minFreeSpace: 1000 }, async () => 1000 + big.length - 1);
  assert.match(before.error!.describe(), /not enough free space to extract it: \d+ bytes free on the filesystem of .*, 1000 must stay free/);
  assert.equal(before.error!.kind, 'io');
  assert.equal(before.written, 0);
  // Plenty at first, then the disk fills up (someone else writes): stopped at the next check.
  const answers = [10 ** 12, 500];
  const during = await readCounting(big, { minFreeSpace: 1000 }, async () => answers.shift() ?? 0);
  assert.match(during.error!.describe(), /500 bytes free/);
  assert.ok(during.written < big.length, `extracted ${during.written} of ${big.length}`);
});
