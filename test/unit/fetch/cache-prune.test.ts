// image gc's pruning of the download cache: by age, then by size (most
// recently used kept), leaving an entry being downloaded alone.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pruneHttpCache } from '../../../src/image/fetch-cache-prune.js';
import { lockFile } from '../../../src/pod/lock.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
let cacheDir: string;

beforeEach(async () => {
  cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sprocket-prune-'));
});
afterEach(async () => {
  await fs.rm(cacheDir, { recursive: true, force: true });
});

/** An entry (named by a sha256, as fetch-cache.ts names them) of `size` body bytes, last used `daysAgo`. */
async function entry(n: number, size: number, daysAgo: number): Promise<string> {
  const dir = path.join(cacheDir, n.toString(16).padStart(64, '0'));
  await fs.mkdir(dir);
  await fs.writeFile(path.join(dir, 'body'), Buffer.alloc(size));
  await fs.writeFile(path.join(dir, 'meta.json'), '{}');
  const used = new Date(NOW - daysAgo * DAY);
  await fs.utimes(dir, used, used);
  return dir;
}

const left = async () => (await fs.readdir(cacheDir)).sort();
const name = (dir: string) => path.basename(dir);

test('downloads not used for the maximum age go; the rest stay', async () => {
  const fresh = await entry(1, 100, 1);
  await entry(2, 100, 40);
  const r = await pruneHttpCache(cacheDir, { maxAgeMs: 30 * DAY, maxSize: 1e9, now: NOW });
  assert.deepEqual(await left(), [name(fresh)]);
  assert.equal(r.removed, 1);
  assert.equal(r.freedBytes, 102); // body and meta.json
  assert.equal(r.keptBytes, 102);
});

test('beyond the maximum size the least recently used go, the most recent that fit stay', async () => {
  const newest = await entry(1, 400, 1);
  const middle = await entry(2, 400, 2);
  await entry(3, 400, 3);
  const small = await entry(4, 50, 4);
  const r = await pruneHttpCache(cacheDir, { maxAgeMs: 30 * DAY, maxSize: 1000, now: NOW });
  assert.deepEqual(await left(), [newest, middle, small].map(name).sort());
  assert.equal(r.removed, 1);
  assert.ok(r.keptBytes <= 1000);
});

test('an entry being downloaded (its lock held) is kept; a prune killed half-way is finished; no cache is nothing to do', async () => {
  const busy = await entry(1, 10, 100);
  await fs.mkdir(path.join(cacheDir, `.rm-${'9'.repeat(64)}`));
  const lock = (await lockFile(path.join(busy, 'lock'), { wait: false }))!;
  try {
    const r = await pruneHttpCache(cacheDir, { maxAgeMs: 0, maxSize: 0, now: NOW });
    assert.equal(r.removed, 0);
  } finally {
    await lock.release();
  }
  assert.deepEqual(await left(), [name(busy)]);
  assert.equal((await pruneHttpCache(cacheDir, { maxAgeMs: 0, maxSize: 0, now: NOW })).removed, 1);
  assert.deepEqual(await left(), []);
  assert.deepEqual(await pruneHttpCache(path.join(cacheDir, 'none'), { maxAgeMs: 0, maxSize: 0 }), { removed: 0, freedBytes: 0, keptBytes: 0 });
});
