// `image gc` prunes the download cache (fetch-cache.ts, docs/fetch.md):
// an entry not used for the maximum age goes; of the others, the most
// recently used that fit in the maximum size are kept, the rest go. An
// entry's last use is its directory's mtime (fetchCached touches it at
// every use). An entry being downloaded (its lock held) is left alone. An
// entry is renamed to .rm-<name> under its lock before it is deleted, so a
// prune killed half-way leaves no entry that looks complete; the next one
// deletes the rest.
import fs from 'node:fs/promises';
import path from 'node:path';
import { lockFile } from '../pod/lock.js';

export interface CachePruneOptions {
  /** Entries not used for this long go (ms). */
  maxAgeMs: number;
  /** The cache keeps at most this many bytes of entries. */
  maxSize: number;
  /** The time to count ages from (ms since the epoch); now by default. */
  now?: number;
}

export interface CachePruneResult {
  removed: number;
  freedBytes: number;
  keptBytes: number;
}

/** The name of an entry: the sha256 of its URL. */
const ENTRY = /^[0-9a-f]{64}$/;
const REMOVING = '.rm-';

interface Entry {
  dir: string;
  lastUsed: number;
  size: number;
}

export async function pruneHttpCache(cacheDir: string, opts: CachePruneOptions): Promise<CachePruneResult> {
  const now = opts.now ?? Date.now();
  const names = await fs.readdir(cacheDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw e;
  });
  for (const name of names.filter((n) => n.startsWith(REMOVING))) await fs.rm(path.join(cacheDir, name), { recursive: true, force: true });
  const entries = await Promise.all(names.filter((n) => ENTRY.test(n)).map((n) => readEntry(path.join(cacheDir, n))));
  const result: CachePruneResult = { removed: 0, freedBytes: 0, keptBytes: 0 };
  for (const entry of entries.sort((a, b) => b.lastUsed - a.lastUsed)) {
    const fits = now - entry.lastUsed <= opts.maxAgeMs && result.keptBytes + entry.size <= opts.maxSize;
    if (fits || !(await removeEntry(entry))) {
      result.keptBytes += entry.size;
      continue;
    }
    result.removed++;
    result.freedBytes += entry.size;
  }
  return result;
}

async function readEntry(dir: string): Promise<Entry> {
  const [stat, names] = await Promise.all([fs.stat(dir), fs.readdir(dir)]);
  const sizes = await Promise.all(names.map((n) => fs.lstat(path.join(dir, n)).then((s) => s.size, () => 0)));
  return { dir, lastUsed: stat.mtimeMs, size: sizes.reduce((a, b) => a + b, 0) };
}

/** Removes an entry unless a download holds it; false if it was held. */
async function removeEntry(entry: Entry): Promise<boolean> {
  const lock = await lockFile(path.join(entry.dir, 'lock'), { wait: false });
  if (!lock) return false;
  const hidden = path.join(path.dirname(entry.dir), `${REMOVING}${path.basename(entry.dir)}`);
  try {
    await fs.rename(entry.dir, hidden);
  } finally {
    await lock.release();
  }
  await fs.rm(hidden, { recursive: true, force: true });
  return true;
}
