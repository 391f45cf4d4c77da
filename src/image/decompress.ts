// Detects the compression of an ACI by its magic bytes, never by its name,
// and returns a stream of the uncompressed tar.
import { spawn } from 'node:child_process';
import { Duplex, PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { invalid } from '../errors.js';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'tar';
/** OCI layers may also be zstd (never an ACI: appc names gzip, bzip2 and xz). */
export type LayerCompression = Compression | 'zstd';

/** Bytes needed to tell the formats apart (ustar magic sits at offset 257). */
export const MAGIC_BYTES = 512;

export function detectCompression(head: Buffer): Compression | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return undefined;
}

/**
 * The first `n` bytes of a stream (fewer when it is shorter), to tell its
 * format, and a stream of all its bytes from the first: for bytes that are
 * not in a file (a download, a converted layer). Its failure is the failure
 * of the stream returned; destroying that stream destroys `stream`.
 */
export async function streamHead(stream: Readable, n: number): Promise<{ head: Buffer; all: Readable }> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < n && !ended) {
    const r = await chunks.next();
    if (r.done) ended = true;
    else {
      first.push(r.value);
      length += r.value.length;
    }
  }
  const all = Readable.from((async function* () {
    yield* first;
    for (let r = ended ? undefined : await chunks.next(); r && !r.done; r = await chunks.next()) yield r.value;
  })(), { objectMode: false });
  all.once('close', () => stream.destroy());
  return { head: Buffer.concat(first).subarray(0, n), all };
}

export interface Decompression {
  stream: Duplex;
  /** Settles when the decompressor has finished; rejects on corrupt input. */
  done: Promise<void>;
}

const GUNZIP_CHUNK_BYTES = 256 * 1024;

export function decompressor(kind: LayerCompression, file: string): Decompression {
  if (kind === 'tar') return { stream: new PassThrough(), done: Promise.resolve() };
  // Output in chunks of 256 KiB rather than zlib's 16 KiB: a sixteenth of the trips through the thread pool and down the streams.
  if (kind === 'gzip') return { stream: createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }), done: Promise.resolve() };
  // Node has no bzip2, xz or zstd; Debian's own decoders are fast, maintained
  // and already a dependency (xz-utils, bzip2, zstd), so they run as child processes.
  const child = spawn(kind, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.on('error', () => {}); // EPIPE when the decoder quits early; its exit status reports it
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(invalid(`cannot run ${kind}: ${e.message}`, { file })));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(invalid(`corrupt ${kind} data: ${stderr.trim().split('\n')[0] || `${kind} exited with ${code}`}`, { file }));
    });
  });
  done.catch(() => {});
  // Writes go to the decoder, reads come from it.
  const stream = Duplex.from({ writable: child.stdin, readable: child.stdout });
  // An aborted import must not leave the decoder running.
  stream.on('close', () => {
    if (!stream.readableEnded && child.exitCode === null) child.kill();
  });
  return { stream, done };
}
