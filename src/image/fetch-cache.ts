// Downloads into a cache under the state directory, so that fetching the
// same URL again costs little: within Cache-Control max-age nothing is asked,
// after it the ETag / Last-Modified validators are sent and a 304 reuses the
// body; an interrupted download resumes with Range when the server allows it.
//
// `image gc` prunes it by age and size (fetch-cache-prune.ts).
//
// Layout: DIR/cache/http/<sha256 of URL>/
//   body, meta.json       the last complete download and what the server said
//   partial, partial.json an interrupted download and its validators
//   lock                  flock(2)ed while a process downloads
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { finished, type Transform } from 'node:stream';
import { z } from 'zod';
import { get, ioError, type Transport } from './http.js';
import { progressStream } from './fetch-progress.js';
import { withLock } from './store-lock.js';

const CacheMeta = z.object({
  url: z.string(),
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  /** Seconds the body may be reused without asking (Cache-Control max-age). */
  maxAge: z.number().optional(),
  /** When the server last confirmed the body (ms since the epoch). */
  checkedAt: z.number(),
});
type CacheMeta = z.infer<typeof CacheMeta>;

export const httpCacheDir = (stateDir: string) => path.join(stateDir, 'cache', 'http');

/** Fetches `href` into the cache and returns the path of its complete body. */
export async function fetchCached(href: string, opts: { cacheDir: string; transport: Transport; label?: string }): Promise<string> {
  const dir = path.join(opts.cacheDir, createHash('sha256').update(href).digest('hex'));
  for (;;) {
    await fs.mkdir(dir, { recursive: true });
    // One process downloads a URL at a time; a second one waits, then finds it cached.
    const body = await withLock(path.join(dir, 'lock'), async () => {
      // image gc removed the entry while this process waited for it: start again.
      if (!(await exists(dir))) return undefined;
      const done = await refresh(href, dir, opts.transport, opts.label ?? href);
      // Its last use, by which image gc prunes the cache (fetch-cache-prune.ts).
      const now = new Date();
      await fs.utimes(dir, now, now);
      return done;
    });
    if (body) return body;
  }
}

async function refresh(href: string, dir: string, transport: Transport, label: string): Promise<string> {
  const body = path.join(dir, 'body');
  const partial = path.join(dir, 'partial');
  const cached = (await exists(body)) ? await readMeta(path.join(dir, 'meta.json')) : undefined;
  if (cached?.maxAge !== undefined && Date.now() - cached.checkedAt < cached.maxAge * 1000) return body;

  const resumeFrom = await resumable(dir);
  const headers: Record<string, string> = {};
  if (resumeFrom) {
    headers.range = `bytes=${resumeFrom.size}-`;
    // If-Range: the server sends the whole new body when the validator changed.
    headers['if-range'] = (resumeFrom.meta.etag ?? resumeFrom.meta.lastModified)!;
  } else if (cached) {
    if (cached.etag) headers['if-none-match'] = cached.etag;
    if (cached.lastModified) headers['if-modified-since'] = cached.lastModified;
  }

  const { url, res } = await get(href, transport, headers);
  const meta: CacheMeta = {
    url: href,
    etag: header(res.headers.etag),
    lastModified: header(res.headers['last-modified']),
    maxAge: maxAge(header(res.headers['cache-control'])),
    checkedAt: Date.now(),
  };
  if (res.statusCode === 304) {
    res.resume();
    if (!cached) throw ioError('HTTP 304 for a request that had no validators', url);
    await writeJson(path.join(dir, 'meta.json'), { ...cached, ...definedOnly(meta) });
    return body;
  }

  // 206 continues the partial body; 200 (also the answer to a Range request
  // whose validator no longer holds) starts it again from byte 0.
  const offset = res.statusCode === 206 ? contentRangeStart(header(res.headers['content-range']), url) : 0;
  if (res.statusCode === 206 && offset !== resumeFrom?.size) {
    res.resume();
    throw ioError(`server resumed at byte ${offset}, expected ${resumeFrom?.size ?? 0}`, url);
  }
  const length = header(res.headers['content-length']);
  const total = length === undefined ? undefined : offset + Number(length);
  // A new body (not 206) replaces the partial one, with its own validators.
  const restart = async () => {
    if (res.statusCode === 206) return;
    await fs.rm(partial, { force: true });
    await writeJson(path.join(dir, 'partial.json'), meta);
  };
  await saveBody(res, progressStream(label, offset, total), restart, partial, offset > 0).catch((e: Error) => {
    throw ioError(`transfer cut off: ${e.message}`, url, 'run the same command again to resume the download', e);
  });
  const size = (await fs.stat(partial)).size;
  if (total !== undefined && size !== total) {
    throw ioError(`transfer cut off after ${size} of ${total} bytes`, url, 'run the same command again to resume the download');
  }
  await fs.rename(partial, body);
  await writeJson(path.join(dir, 'meta.json'), meta);
  await fs.rm(path.join(dir, 'partial.json'), { force: true });
  return body;
}

/**
 * Writes the response body to `file` once `before` is done. The body is
 * taken at once (into `progress`'s buffer meanwhile): a response cut while
 * `before` runs would otherwise lose what had arrived. When the transfer is
 * cut, what arrived is written before the error is thrown, and the next
 * fetch resumes from it (a pipeline would destroy the file stream with the
 * chunks it had queued).
 */
async function saveBody(res: IncomingMessage, progress: Transform, before: () => Promise<void>, file: string, append: boolean): Promise<void> {
  let cut: Error | undefined;
  // finished(): an error, or a connection closed before the end (the response has no error then).
  finished(res, (e) => {
    if (!e) return;
    cut = e;
    progress.end();
  });
  res.pipe(progress);
  await before().catch((e: unknown) => {
    res.destroy();
    throw e;
  });
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file, { flags: append ? 'a' : 'w' });
    out.once('error', (e) => {
      res.destroy();
      reject(e);
    });
    out.once('finish', () => (cut ? reject(cut) : resolve()));
    progress.pipe(out);
  });
}

/** The partial download, when it has a validator to resume against. */
async function resumable(dir: string): Promise<{ size: number; meta: CacheMeta } | undefined> {
  const meta = await readMeta(path.join(dir, 'partial.json'));
  if (!meta || !(meta.etag || meta.lastModified)) return undefined;
  const size = await fs.stat(path.join(dir, 'partial')).then((s) => s.size, () => 0);
  return size > 0 ? { size, meta } : undefined;
}

function contentRangeStart(value: string | undefined, url: string): number {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value ?? '');
  if (!m) throw ioError(`HTTP 206 with an unreadable Content-Range ${JSON.stringify(value)}`, url);
  return Number(m[1]);
}

/** max-age in seconds; no-store and no-cache mean the body must be checked again. */
function maxAge(cacheControl: string | undefined): number | undefined {
  if (!cacheControl || /\bno-(store|cache)\b/i.test(cacheControl)) return undefined;
  const m = /\bmax-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
  return m ? Number(m[1]) : undefined;
}

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

const definedOnly = (o: CacheMeta) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const exists = (p: string) => fs.access(p).then(() => true, () => false);

async function readMeta(file: string): Promise<CacheMeta | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    // A damaged cache entry is only a cache miss.
    return CacheMeta.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

async function writeJson(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(value));
  await fs.rename(tmp, file);
}
