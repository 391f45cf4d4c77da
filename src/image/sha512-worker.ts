// SHA-512 in a worker thread: the image ID of a large ACI is hashed beside
// the extraction instead of between its reads (0.4 to 0.6 s of one core per
// 200 MiB here). Chunks travel as views of SharedArrayBuffers, so the worker
// reads the bytes the main thread read, without a copy (sharedReads below).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { SprocketError } from '../errors.js';

/** The worker: a script, not a file, so that it runs the same from the bundle, the snapshot and dist/. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha512');
parentPort.on('message', (chunk) => {
  if (chunk === null) return parentPort.postMessage({ digest: hash.digest('hex') });
  hash.update(chunk);
  parentPort.postMessage({ done: chunk.length });
});
`;

/** The worker is this far behind the reads at most: reading waits beyond it. */
const HASH_BEHIND_BYTES = 64 * 1024 * 1024;

export interface Sha512 {
  /** Adds a chunk; the returned promise settles when more may be added. */
  update(chunk: Buffer): Promise<void> | undefined;
  digest(): Promise<string>;
  /** Ends the worker (always call it, also after a failure). */
  close(): Promise<void>;
}

/** A chunk that the worker can see: the same memory when it is shared, else a copy into shared memory. */
function shared(chunk: Buffer): Uint8Array {
  if (chunk.buffer instanceof SharedArrayBuffer) return chunk;
  const copy = new Uint8Array(new SharedArrayBuffer(chunk.length));
  copy.set(chunk);
  return copy;
}

/** Hashes on this thread: for small files, where starting a thread costs more than it saves. */
export function sha512Here(): Sha512 {
  const hash = createHash('sha512');
  return {
    update(chunk) {
      hash.update(chunk);
      return undefined;
    },
    digest: () => Promise.resolve(hash.digest('hex')),
    close: () => Promise.resolve(),
  };
}

/** Hashes in a thread of its own, started by the first update. */
export function sha512InWorker(): Sha512 {
  let worker: Worker | undefined;
  let behind = 0;
  let failure: Error | undefined;
  const waiters = new Set<{ resolve: (v: unknown) => void; reject: (e: Error) => void; when: () => boolean }>();
  const settle = () => {
    for (const w of waiters) {
      if (failure) w.reject(failure);
      else if (w.when()) w.resolve(undefined);
      else continue;
      waiters.delete(w);
    }
  };
  // Not the ACI's fault: an error of sprocket's own, never "corrupt archive".
  const fail = (e: Error) => {
    failure ??= new SprocketError('io', `the hashing thread failed: ${e.message}`, {}, { cause: e });
    settle();
  };
  let digest: string | undefined;
  const started = () => {
    if (worker) return worker;
    // execArgv: none of the parent's flags (--snapshot-blob, --input-type) apply to this script.
    worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    worker.on('message', (m: { done?: number; digest?: string }) => {
      if (m.done !== undefined) behind -= m.done;
      if (m.digest !== undefined) digest = m.digest;
      settle();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`it exited with ${code}`)));
    return worker;
  };
  const until = (when: () => boolean) => new Promise((resolve, reject) => {
    waiters.add({ resolve, reject, when });
    settle();
  });
  return {
    update(chunk) {
      if (failure) return Promise.reject(failure);
      started().postMessage(shared(chunk));
      behind += chunk.length;
      return behind > HASH_BEHIND_BYTES ? until(() => behind <= HASH_BEHIND_BYTES).then(() => {}) : undefined;
    },
    async digest() {
      started().postMessage(null);
      await until(() => digest !== undefined);
      return digest!;
    },
    async close() {
      worker?.removeAllListeners('exit');
      await worker?.terminate();
    },
  };
}

/**
 * The file's bytes in chunks of `chunkBytes`, each read into a
 * SharedArrayBuffer of its own: the hashing thread sees them without a copy.
 */
export function sharedReads(file: string, chunkBytes: number): Readable {
  return Readable.from((async function* () {
    const fh = await fs.open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      for (let pos = 0; ; ) {
        // No more than the file holds (a small file gets a small buffer), but read on until its end.
        const want = Math.min(chunkBytes, Math.max(size - pos, 64 * 1024));
        const buf = Buffer.from(new SharedArrayBuffer(want));
        const { bytesRead } = await fh.read(buf, 0, want, null);
        pos += bytesRead;
        if (bytesRead === 0) return;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  })(), { objectMode: false });
}
