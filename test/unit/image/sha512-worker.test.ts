// SHA-512 in a worker thread (src/image/sha512-worker.ts): the same digest
// as on the main thread, however the chunks come, with the reads held back
// when the thread falls behind; readAci gives the same image ID either way,
// and a failed read ends the thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readAci } from '../../../src/image/aci-reader.js';
import { sha512InWorker, sharedReads } from '../../../src/image/sha512-worker.js';
import { craftAci, tempDir } from './craft.js';

test('the worker digests what createHash does, shared and plain chunks; past 64 MiB behind, update says to wait', async () => {
  const plain = randomBytes(1024 * 1024);
  const shared = Buffer.from(new SharedArrayBuffer(4096));
  shared.set(randomBytes(4096));
  const expected = createHash('sha512');
  const hash = sha512InWorker();
  try {
    // Without a turn of the event loop no progress is heard of: the first wait comes at the 65th MiB.
    let firstWait = -1;
    for (let i = 0; i < 70 && firstWait < 0; i++) {
      expected.update(plain);
      const behind = hash.update(plain);
      if (behind) {
        firstWait = i;
        await behind;
      }
    }
    assert.equal(firstWait, 64);
    for (let i = 0; i < 10; i++) {
      expected.update(shared.subarray(i));
      await hash.update(shared.subarray(i));
    }
    assert.equal(await hash.digest(), expected.digest('hex'));
  } finally {
    await hash.close();
  }
});

test('sharedReads reads the whole file into shared memory, in chunks of at most the size asked', async () => {
  const dir = await tempDir();
  const bytes = randomBytes(300_000);
  await fs.writeFile(path.join(dir, 'f'), bytes);
  const chunks: Buffer[] = [];
  for await (const c of sharedReads(path.join(dir, 'f'), 128 * 1024)) chunks.push(c as Buffer);
  assert.ok(chunks.every((c) => c.buffer instanceof SharedArrayBuffer && c.length <= 128 * 1024));
  assert.ok(Buffer.concat(chunks).equals(bytes));
  await fs.rm(dir, { recursive: true });
});

test('readAci: the image ID is the same hashed in a worker or not, plain and gzip; a truncated ACI fails the same and ends the thread', async () => {
  const dir = await tempDir();
  const aci = await craftAci([{ name: 'rootfs/a', body: randomBytes(200_000) }, { name: 'rootfs/b', body: 'b' }]);
  const id = `sha512-${createHash('sha512').update(aci).digest('hex')}`;
  for (const [name, bytes] of [['plain.aci', aci], ['gz.aci', gzipSync(aci)]] as const) {
    await fs.writeFile(path.join(dir, name), bytes);
    assert.equal((await readAci(path.join(dir, name), undefined, { hashInWorkerFrom: 0 })).id, id, name);
    assert.equal((await readAci(path.join(dir, name))).id, id, name);
  }
  await fs.writeFile(path.join(dir, 'cut.aci'), aci.subarray(0, aci.length - 2048));
  await assert.rejects(readAci(path.join(dir, 'cut.aci'), undefined, { hashInWorkerFrom: 0 }), /truncated archive/);
  await fs.rm(dir, { recursive: true });
  // A thread left running would keep this test file's process alive: node --test would time it out.
});
