// Detects the compression of an ACI by its magic bytes, never by its name,
// and returns a stream of the uncompressed tar.
import { spawn } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
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

export interface Decompression {
  stream: Duplex;
  /** Settles when the decompressor has finished; rejects on corrupt input. */
  done: Promise<void>;
}

export function decompressor(kind: LayerCompression, file: string): Decompression {
  if (kind === 'tar') return { stream: new PassThrough(), done: Promise.resolve() };
  if (kind === 'gzip') return { stream: createGunzip(), done: Promise.resolve() };
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
