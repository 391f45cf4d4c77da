// The blob: the store's copy of an ACI's bytes, kept so that export writes
// the file as it was imported and images built on it render from it. For an
// uncompressed ACI the data of each large regular file is left out of the
// blob (a hole of a sparse file): the image's tree holds the same bytes, so
// an import writes them once, as `tar -x` does, instead of twice. The list of
// holes is kept with the image (docs/on-disk-format.md); every read of the
// blob fills them from the tree again.
import { createHash } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { invalid } from '../errors.js';
import type { ImageId } from '../spec/index.js';

/** Files smaller than this stay in the blob: a hole saves little below a few blocks. */
export const HOLE_MIN_BYTES = 64 * 1024;

/** Copies are written this far ahead of the extraction at most. */
const COPY_AHEAD_BYTES = 32 * 1024 * 1024;

/** Reads of 1 MiB: a sixteenth of the reads of the 64 KiB default. */
export const READ_CHUNK_BYTES = 1024 * 1024;

/** Bytes [offset, offset + size) of the blob, left out: they are the content of tree file `path` (relative to the tree). */
export const BlobHole = z.object({
  offset: z.number().int().nonnegative(),
  size: z.number().int().positive(),
  path: z.string().min(1),
});
export type BlobHole = z.infer<typeof BlobHole>;
export const BlobHoles = z.array(BlobHole);

/**
 * Passes an ACI's bytes on and writes them to `to` meanwhile, each at its own
 * offset, beside the extraction instead of before each chunk of it. With
 * `leaveHoles` (uncompressed tar only: the offsets the tar reader reports are
 * file offsets), bytes are held until the tar reader has said what they are
 * (entry()), and those of a hole are never written.
 */
export class BlobCopy {
  readonly holes: BlobHole[] = [];
  readonly stream: Transform;
  private readonly pending = new Set<Promise<unknown>>();
  private failure: unknown;
  private read = 0;
  private ahead = 0;
  /** Bytes below this offset are known to be a hole or not; without holes, all are. */
  private decided: number;
  /** Bytes read but not yet decided, in order. */
  private held: { offset: number; buf: Buffer }[] = [];

  constructor(private readonly to: fs.FileHandle | undefined, leaveHoles: boolean) {
    this.decided = leaveHoles && to ? 0 : Infinity;
    this.stream = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        const offset = this.read;
        this.read += chunk.length;
        if (!this.to) return cb(null, chunk);
        if (this.failure) return cb(this.failure as Error);
        this.held.push({ offset, buf: chunk });
        this.flush();
        if (this.ahead < COPY_AHEAD_BYTES) return cb(null, chunk);
        // Too far ahead: let the writes catch up before reading on.
        Promise.all(this.pending).then(() => cb(this.failure as Error | null, chunk), cb);
      },
    });
  }

  /** Bytes read so far. */
  bytesRead(): number {
    return this.read;
  }

  /**
   * The tar reader found an entry whose data is bytes [offset, offset + size);
   * `rel`: the rootfs file that the tree will hold them in, if any. Every
   * byte before the data is decided, and the data too: a hole, or written
   * (so an entry's data is never held in memory, whatever its size).
   */
  entry(offset: number, size: number, rel: string | undefined): void {
    this.decideUpTo(offset);
    if (rel !== undefined && this.decided !== Infinity && size >= HOLE_MIN_BYTES) this.holes.push({ offset, size, path: rel });
    this.decideUpTo(offset + size);
  }

  private decideUpTo(offset: number): void {
    if (offset <= this.decided) return;
    this.decided = offset;
    this.flush();
  }

  /** Writes what is left and waits for every write; the blob then has the ACI's full length. */
  async written(): Promise<void> {
    this.decided = Infinity;
    this.flush();
    await Promise.all(this.pending);
    if (this.failure) throw this.failure;
    if (this.to && this.holes.length) await this.to.truncate(this.read); // a hole at the very end still counts
  }

  /** Waits for the writes already started, ignoring their failure (the read failed first). */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }

  /** Writes the held bytes below `decided`, except those of holes. */
  private flush(): void {
    // entry() writes every byte before a hole first: only the last hole can lie among the held bytes.
    const last = this.holes.at(-1);
    const [holeStart, holeEnd] = last ? [last.offset, last.offset + last.size] : [Infinity, Infinity];
    while (this.held.length) {
      const { offset, buf } = this.held[0]!;
      const end = Math.min(offset + buf.length, this.decided);
      if (end <= offset) return;
      const inHole = offset >= holeStart && offset < holeEnd;
      const stop = Math.min(end, inHole ? holeEnd : offset < holeStart ? holeStart : end);
      if (!inHole) this.write(buf.subarray(0, stop - offset), offset);
      if (stop === offset + buf.length) this.held.shift();
      else this.held[0] = { offset: stop, buf: buf.subarray(stop - offset) };
    }
  }

  private write(buf: Buffer, offset: number): void {
    this.ahead += buf.length;
    const write = this.to!.write(buf, 0, buf.length, offset).then(
      () => { this.ahead -= buf.length; },
      (e: unknown) => { this.failure ??= e; },
    );
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }
}

/** The content of tree file `hole.path` below `tree`, which must be exactly the hole's size. */
async function* treeFile(tree: string, hole: BlobHole): AsyncGenerator<Buffer> {
  const file = path.join(tree, hole.path);
  const missing = (why: string) => invalid(`the image's tree no longer holds the data its blob left to it (${why})`, {
    file, hint: 'sprocket image verify names what changed; remove the image and import it again',
  });
  const fh = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch((e: Error) => {
    throw missing(e.message);
  });
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size !== hole.size) throw missing(`${hole.size} bytes expected, ${st.isFile() ? `${st.size} found` : 'not a file'}`);
    yield* range(fh, 0, hole.size, file);
  } finally {
    await fh.close();
  }
}

/** Bytes [start, start + size) of an open file, in chunks of at most READ_CHUNK_BYTES. */
async function* range(fh: fs.FileHandle, start: number, size: number, file: string): AsyncGenerator<Buffer> {
  for (let pos = start; pos < start + size;) {
    const want = Math.min(READ_CHUNK_BYTES, start + size - pos);
    const { bytesRead, buffer } = await fh.read(Buffer.allocUnsafe(want), 0, want, pos);
    if (bytesRead === 0) throw invalid(`the blob ends at ${pos} bytes, ${start + size} expected`, { file });
    yield buffer.subarray(0, bytesRead);
    pos += bytesRead;
  }
}

/** The blob's bytes as imported: what it holds, its holes filled from `tree`. */
export function filledBlob(blob: string, holes: BlobHole[], tree: string): Readable {
  return Readable.from((async function* () {
    const fh = await fs.open(blob, 'r');
    try {
      const size = (await fh.stat()).size;
      let pos = 0;
      for (const hole of holes) {
        yield* range(fh, pos, hole.offset - pos, blob);
        yield* treeFile(tree, hole);
        pos = hole.offset + hole.size;
      }
      yield* range(fh, pos, size - pos, blob);
    } finally {
      await fh.close();
    }
  })(), { objectMode: false });
}

/** Writes the holes' data from `tree` into the blob: it then needs no tree (the tree is about to change). */
export async function fillHoles(to: fs.FileHandle, holes: BlobHole[], tree: string): Promise<void> {
  for (const hole of holes) {
    let offset = hole.offset;
    for await (const chunk of treeFile(tree, hole)) {
      await to.write(chunk, 0, chunk.length, offset);
      offset += chunk.length;
    }
  }
}

/**
 * Writes a filled blob (an uncompressed tar: its SHA-512 is the image ID) to
 * `out`, and fails unless it still hashes to `id`: part of it came from the
 * tree, which is not the blob.
 */
export async function exportFilledBlob(blob: Readable, out: string, id: ImageId): Promise<void> {
  const hash = createHash('sha512');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  await pipeline(blob, hashing, createWriteStream(out, { mode: 0o644 }));
  const got = `sha512-${hash.digest('hex')}`;
  if (got !== id) throw invalid(`the image's bytes hash to ${got}, not to its ID: its tree changed since the import (sprocket image verify)`, { file: out });
}
