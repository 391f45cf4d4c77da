// The download cache against a real HTTP server: max-age, ETag revalidation,
// resuming a cut transfer with Range and restarting when Range is ignored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fetchCached } from '../../../src/image/fetch-cache.js';
import { progressStream } from '../../../src/image/fetch-progress.js';
import { SprocketError } from '../../../src/errors.js';
import { startServer, staticBody, type TestServer } from '../../support/web.js';

const transport = { allowHttp: true, skipTlsVerify: false };
const body = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
let server: TestServer;
let cacheDir: string;

before(async () => {
  server = await startServer(0);
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sprocket-cache-'));
});
after(async () => {
  await server.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

const fetchIt = (p: string) => fetchCached(`${server.origin}${p}`, { cacheDir, transport });

test('within Cache-Control max-age the server is not asked again', async () => {
  server.routes.set('/fresh.aci', staticBody(body, { etag: '"v1"', cacheControl: 'max-age=3600' }));
  const first = await fetchIt('/fresh.aci');
  const second = await fetchIt('/fresh.aci');
  assert.equal(second, first);
  assert.deepEqual(fs.readFileSync(second), body);
  assert.equal(server.hits.get('/fresh.aci'), 1);
});

test('after max-age the ETag is sent and a 304 reuses the cached body', async () => {
  server.routes.set('/etag.aci', staticBody(body, { etag: '"v1"', cacheControl: 'no-cache' }));
  await fetchIt('/etag.aci');
  const again = await fetchIt('/etag.aci');
  assert.equal(server.hits.get('/etag.aci'), 2);
  assert.equal(server.lastHeaders.get('/etag.aci')?.['if-none-match'], '"v1"');
  assert.deepEqual(fs.readFileSync(again), body);
});

test('a cut transfer fails, leaves no complete-looking body, and resumes with Range', async () => {
  server.routes.set('/cut.aci', staticBody(body, { etag: '"v1"', ranges: true, cutAt: 20_000 }));
  await assert.rejects(fetchIt('/cut.aci'), (e: SprocketError) => e.kind === 'io' && /cut off/.test(e.message) && /again to resume/.test(e.hint ?? ''));
  const entry = path.join(cacheDir, createHash('sha256').update(`${server.origin}/cut.aci`).digest('hex'));
  assert.deepEqual(fs.readdirSync(entry).filter((f) => f !== 'lock').sort(), ['partial', 'partial.json']);
  // What reached the disk before the error (the last chunks may still have been queued for writing).
  const kept = fs.statSync(path.join(entry, 'partial')).size;
  assert.ok(kept > 0 && kept <= 20_000, `partial: ${kept} bytes`);
  const done = await fetchIt('/cut.aci');
  assert.equal(server.lastHeaders.get('/cut.aci')?.range, `bytes=${kept}-`);
  assert.deepEqual(fs.readFileSync(done), body);
});

test('a server that answers a Range request with 200 restarts the download cleanly', async () => {
  server.routes.set('/norange.aci', staticBody(body, { etag: '"v1"', ranges: false, cutAt: 20_000 }));
  await assert.rejects(fetchIt('/norange.aci'));
  const done = await fetchIt('/norange.aci');
  assert.ok(server.lastHeaders.get('/norange.aci')?.range);
  assert.deepEqual(fs.readFileSync(done), body);
});

test('an HTTP error names the URL and the status', async () => {
  server.routes.set('/broken.aci', (_req, res) => res.writeHead(500).end());
  await assert.rejects(fetchIt('/broken.aci'), (e: SprocketError) => e.file === `${server.origin}/broken.aci` && /HTTP 500/.test(e.message));
});

test('plain http is refused unless allowed', async () => {
  server.routes.set('/plain.aci', staticBody(body));
  await assert.rejects(fetchCached(`${server.origin}/plain.aci`, { cacheDir, transport: { allowHttp: false, skipTlsVerify: false } }), (e: SprocketError) =>
    /--insecure-options=http/.test(e.hint ?? ''),
  );
  assert.equal(server.hits.get('/plain.aci'), undefined);
});

test('progress is drawn on a terminal only', async () => {
  const written: string[] = [];
  const tty = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  const pipe = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  const run = async (out: NodeJS.WriteStream) => {
    const bar = progressStream('app.aci', 0, 2 << 20, out);
    bar.resume();
    bar.end(Buffer.alloc(2 << 20));
    await new Promise((resolve) => bar.on('end', resolve));
  };
  await run(pipe);
  assert.equal(written.length, 0);
  await run(tty);
  assert.match(written.at(-1)!, /^\rapp\.aci \[#{30}\] 2\.0\/2\.0 MiB\x1b\[K\n$/);
});

test("each use of a cached download marks it used (its directory's mtime), which image gc's pruning goes by", async () => {
  server.routes.set('/used.aci', staticBody(body, { etag: '"v1"', cacheControl: 'max-age=3600' }));
  const dir = path.dirname(await fetchIt('/used.aci'));
  const long = new Date(Date.now() - 40 * 86_400_000);
  fs.utimesSync(dir, long, long);
  await fetchIt('/used.aci'); // fresh: the server is not asked, the entry is used all the same
  assert.equal(server.hits.get('/used.aci'), 1);
  assert.ok(Date.now() - fs.statSync(dir).mtimeMs < 60_000);
});
