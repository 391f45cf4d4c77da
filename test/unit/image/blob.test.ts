// The blob with holes (src/image/blob.ts): an uncompressed ACI's large files
// are written once, to the tree; every reader of the blob (export, extract,
// verify, images built on it) still sees the bytes as imported, and a tree
// that changed is caught instead of exported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { readAci } from '../../../src/image/aci-reader.js';
import { BlobCopy, filledBlob, HOLE_MIN_BYTES } from '../../../src/image/blob.js';
import { ImageStore } from '../../../src/image/store.js';
import { TreeWriter } from '../../../src/image/tree-writer.js';
import { verifyImage } from '../../../src/image/verify.js';
import { craftAci, manifestJson, tempDir, type Entry } from './craft.js';

const big = randomBytes(3 * HOLE_MIN_BYTES + 100);
const entries: Entry[] = [
  { name: 'rootfs/big', body: big },
  { name: 'rootfs/small', body: 'small' },
  { name: 'rootfs/edge', body: randomBytes(HOLE_MIN_BYTES) },
  { name: 'rootfs/below', body: randomBytes(HOLE_MIN_BYTES - 1) },
  { name: 'rootfs/link', type: 'link', linkname: 'rootfs/big' },
  // A name over 100 bytes: a PAX header before the entry's own.
  { name: `rootfs/${'d'.repeat(120)}`, body: randomBytes(HOLE_MIN_BYTES + 1) },
];

async function setup(aci: Buffer) {
  const dir = await tempDir();
  const store = await ImageStore.open(path.join(dir, 'store'));
  const file = path.join(dir, 'a.aci');
  await fs.writeFile(file, aci);
  return { dir, store, file, ...(await store.import(file)) };
}

const holesOf = (store: ImageStore, id: string) => fs.readFile(path.join(store.images, id, 'blob-holes.json'), 'utf8').then((t) => JSON.parse(t) as { path: string }[], () => []);

test('an uncompressed ACI: files of 64 KiB and more are holes of the blob, filled from the tree for export, extract, verify and images built on it', async () => {
  const aci = await craftAci(entries);
  const { dir, store, id } = await setup(aci);
  assert.deepEqual((await holesOf(store, id)).map((h) => h.path).sort(), ['big', 'd'.repeat(120), 'edge']);
  const blob = await fs.stat(store.blobPath(id));
  assert.equal(blob.size, aci.length);
  assert.ok(blob.blocks * 512 < aci.length - 3 * HOLE_MIN_BYTES, `the blob is sparse (${blob.blocks * 512} bytes allocated of ${aci.length})`);

  await store.exportTo(id, path.join(dir, 'out.aci'));
  assert.ok((await fs.readFile(path.join(dir, 'out.aci'))).equals(aci), 'export writes the ACI as imported');
  await store.extract(id, path.join(dir, 'ex'));
  assert.ok((await fs.readFile(path.join(dir, 'ex/rootfs/big'))).equals(big));
  assert.deepEqual(await verifyImage(store, id), []);

  const app = await store.import(await write(dir, 'app.aci', await craftAci([{ name: 'rootfs/app', body: 'a' }], manifestJson('example.com/app', { dependencies: [{ imageName: 'example.com/test', imageID: id }] }))));
  assert.ok((await fs.readFile(path.join(store.treePath(app.id), 'big'))).equals(big), 'an image built on it renders its files');
  assert.deepEqual(await holesOf(store, app.id), []);
  assert.deepEqual(await verifyImage(store, app.id), []);
  await fs.rm(dir, { recursive: true });
});

test('a tree file that changed after the import is caught: verify names it, export refuses and leaves no file', async () => {
  const { dir, store, id } = await setup(await craftAci(entries));
  const file = path.join(store.treePath(id), 'big');
  const bytes = await fs.readFile(file);
  bytes[1000] ^= 0xff;
  await fs.writeFile(file, bytes);
  assert.match((await verifyImage(store, id))[0]!, /^the blob hashes to sha512-/);
  await assert.rejects(store.exportTo(id, path.join(dir, 'out.aci')), /cannot export: the image's bytes hash to sha512-[0-9a-f]+, not to its ID/);
  assert.deepEqual((await fs.readdir(dir)).sort(), ['a.aci', 'store']);

  await fs.rm(file);
  await fs.link(path.join(store.treePath(id), 'small'), file);
  await assert.rejects(store.readBlob(id), (e: Error) => /no longer holds the data its blob left to it \(196708 bytes expected, 5 found\)/.test(e.message));
  await fs.rm(dir, { recursive: true });
});

test('a pathWhitelist, dependencies or compression: the blob holds every byte', async () => {
  const whitelisted = await craftAci(entries, manifestJson('example.com/w', { pathWhitelist: ['/small'] }));
  const w = await setup(whitelisted);
  assert.deepEqual(await holesOf(w.store, w.id), []);
  assert.deepEqual(await fs.readdir(w.store.treePath(w.id)), ['small']);
  assert.ok((await fs.readFile(w.store.blobPath(w.id))).equals(whitelisted));
  assert.deepEqual(await verifyImage(w.store, w.id), []);

  const base = await w.store.import(await write(w.dir, 'base.aci', await craftAci([], manifestJson('example.com/base'))));
  const dependent = await craftAci(entries, manifestJson('example.com/d', { dependencies: [{ imageName: 'example.com/base', imageID: base.id }] }));
  const d = await w.store.import(await write(w.dir, 'd.aci', dependent));
  assert.deepEqual(await holesOf(w.store, d.id), []);
  assert.ok((await fs.readFile(w.store.blobPath(d.id))).equals(dependent));
  assert.ok((await fs.readFile(path.join(w.store.treePath(d.id), 'big'))).equals(big));

  const gzipped = gzipSync(await craftAci(entries, manifestJson('example.com/g')));
  const g = await w.store.import(await write(w.dir, 'g.aci', gzipped));
  assert.deepEqual(await holesOf(w.store, g.id), []);
  assert.ok((await fs.readFile(w.store.blobPath(g.id))).equals(gzipped));
  await fs.rm(w.dir, { recursive: true });
});

test('the copy writes each byte as soon as the tar reader has said what it is: no entry is held in memory, a hole is never written', async () => {
  const writes: [number, number][] = [];
  const to = { write: async (b: Buffer, _o: number, length: number, position: number) => { writes.push([position, length]); return { bytesWritten: length, buffer: b }; }, truncate: async () => {} };
  const copy = new BlobCopy(to as unknown as fs.FileHandle, true);
  const feed = (n: number) => new Promise<void>((resolve, reject) => copy.stream.write(Buffer.alloc(n), (e) => (e ? reject(e) : resolve())));
  copy.stream.resume();
  // As in a read: the tar reader hears of an entry once its header has passed the copy.
  await feed(2000);
  assert.deepEqual(writes, [], 'nothing is decided before the first header');
  copy.entry(512, 400, undefined); // an entry the tree does not hold (a manifest, "./" of any size): written at once
  assert.deepEqual(writes, [[0, 512], [512, 400]]);
  copy.entry(1536, 100_000, 'f');
  assert.deepEqual(writes.slice(2), [[912, 624]]);
  await feed(200_000);
  assert.deepEqual(writes.slice(3), [], 'the hole [1536, 101536) is not written; what follows waits for the next header');
  await copy.written();
  assert.deepEqual(writes.slice(3), [[101536, 100464]]);
  assert.deepEqual(copy.holes, [{ offset: 1536, size: 100_000, path: 'f' }]);
});

async function write(dir: string, name: string, bytes: Buffer): Promise<string> {
  await fs.writeFile(path.join(dir, name), bytes);
  return path.join(dir, name);
}

test('property: whatever the file sizes and however the reads fall, nothing is written in a hole, and the blob with its holes filled from the tree is the ACI', async () => {
  const dir = await tempDir();
  let round = 0;
  const sizes = fc.array(fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: HOLE_MIN_BYTES - 2, max: HOLE_MIN_BYTES + 2 }), fc.integer({ min: 0, max: 3 * HOLE_MIN_BYTES })), { minLength: 1, maxLength: 6 });
  await fc.assert(fc.asyncProperty(sizes, fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 }), async (fileSizes, cuts) => {
    const work = path.join(dir, String(round++));
    await fs.mkdir(path.join(work, 'rootfs'), { recursive: true });
    const aci = await craftAci(fileSizes.map((n, i) => ({ name: `rootfs/f${i}`, body: randomBytes(n) })));
    await fs.writeFile(path.join(work, 'x.aci'), aci);
    // The ACI read in chunks of the drawn sizes, in turn.
    const chunks: Buffer[] = [];
    for (let pos = 0, i = 0; pos < aci.length; i++) chunks.push(aci.subarray(pos, (pos += cuts[i % cuts.length]!)));
    const tree = new TreeWriter(path.join(work, 'rootfs'));
    const fh = await fs.open(path.join(work, 'blob'), 'wx');
    const { holes } = await readAci(path.join(work, 'x.aci'), (e, body) => tree.write(e, body), { copyTo: fh, leaveHoles: true, source: Readable.from(chunks) }).finally(() => fh.close());
    assert.deepEqual(holes.map((h) => h.path), fileSizes.flatMap((n, i) => (n >= HOLE_MIN_BYTES ? [`f${i}`] : [])));
    const raw = await fs.readFile(path.join(work, 'blob'));
    for (const h of holes) assert.ok(raw.subarray(h.offset, h.offset + h.size).every((b) => b === 0), `nothing written in the hole of ${h.path}`);
    const filled: Buffer[] = [];
    for await (const c of filledBlob(path.join(work, 'blob'), holes, tree.root)) filled.push(c as Buffer);
    assert.ok(Buffer.concat(filled).equals(aci));
    await fs.rm(work, { recursive: true });
  }), { seed: 20261203, numRuns: 25 });
  await fs.rm(dir, { recursive: true });
});
