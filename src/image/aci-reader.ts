// Reads an ACI in one pass: detects the compression, hashes the uncompressed
// tar (that hash is the image ID), enforces the limits and the entry rules,
// and hands every rootfs entry to a sink (which may extract it or not).
import fs from 'node:fs/promises';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { invalid, SprocketError } from '../errors.js';
import { ImageId, ImageManifest, parseImageManifest } from '../spec/index.js';
import { BlobCopy, BlobHole, READ_CHUNK_BYTES } from './blob.js';
import { Compression, decompressor, detectCompression, MAGIC_BYTES, streamHead } from './decompress.js';
import { EntryKind, entryPlace, LayerIndex } from './aci-entry.js';
import { ImageLimits, imageLimits } from './limits.js';
import { sha512Here, sha512InWorker, sharedReads, type Sha512 } from './sha512-worker.js';

/** ACIs from this size on are hashed in a worker thread (src/image/sha512-worker.ts); a thread costs about 20 to 40 ms to start. */
const HASH_IN_WORKER_FROM_BYTES = 32 * 1024 * 1024;

export interface AciEntry {
  /** Path inside rootfs, '' for rootfs itself. */
  rel: string;
  kind: EntryKind;
  /** For hard links: the target's path inside rootfs. */
  linkTarget?: string;
  header: tar.Header;
}

/** The data of one entry (a streamx stream of tar-stream). */
export type EntryBody = AsyncIterable<Buffer>;

/** Receives each rootfs entry; must consume `body`. */
export type EntrySink = (entry: AciEntry, body: EntryBody) => Promise<void>;

export interface AciContents {
  id: ImageId;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  compression: Compression;
  /** Size of the uncompressed tar. */
  size: number;
  /** The ranges left out of copyTo (ReadAciOptions.leaveHoles). */
  holes: BlobHole[];
}

export async function drain(body: EntryBody): Promise<void> {
  for await (const _ of body);
}

export const drainSink: EntrySink = (_entry, body) => drain(body);

export async function readAciHead(file: string): Promise<Buffer> {
  const fh = await fs.open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new SprocketError(e.code === 'ENOENT' ? 'not-found' : 'io', `cannot open: ${e.message}`, { file });
  });
  try {
    const buf = Buffer.alloc(MAGIC_BYTES);
    const { bytesRead } = await fh.read(buf, 0, MAGIC_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** PAX keys that, in a global header, would change the names or sizes of the entries after it. */
const GLOBAL_RENAMES = ['path', 'linkpath', 'size'];

/**
 * A PAX global header (type g) that sets path, linkpath or size: tar
 * readers disagree on what it applies to (tar-stream to entries with a PAX
 * header of their own, GNU tar to every later entry), so two tools would
 * see two images. tar-stream keeps the global header to itself; this
 * reads its record (tar-stream 3, pinned; a unit test fails if it moves).
 */
export function refuseGlobalRenames(extract: tar.Extract, file: string): void {
  const global = (extract as unknown as { _paxGlobal?: Record<string, string> | null })._paxGlobal;
  const key = global ? GLOBAL_RENAMES.find((k) => k in global) : undefined;
  if (key) throw invalid(`a PAX global header sets ${key}: tar readers disagree on which entries it applies to`, { file, field: `pax global header: ${key}` });
}

/**
 * Resolves when the filesystem of opts.diskDir has room for `bytes` more and
 * still limits.minFreeSpace free; else rejects, naming the directory.
 */
function diskGuard(file: string, limits: ImageLimits, opts: ReadAciOptions): (bytes: number) => Promise<void> {
  const measure = opts.freeSpace ?? freeSpace;
  return async (bytes) => {
    if (!opts.diskDir) return;
    const free = await measure(opts.diskDir);
    if (free - bytes < limits.minFreeSpace) {
      throw new SprocketError('io', `not enough free space to extract it: ${free} bytes free on the filesystem of ${opts.diskDir}, ${limits.minFreeSpace} must stay free`, {
        file, hint: 'free some space (sprocket image gc, gc), or lower SPROCKET_MIN_FREE_SPACE',
      });
    }
  };
}

/** Free space is checked again after this many uncompressed bytes. */
const FREE_SPACE_STEP_BYTES = 16 * 1024 * 1024;

/** The error for `size` uncompressed bytes out of `read` compressed ones when that is a decompression bomb (OCI layers are checked the same way). */
export function growthError(limits: ImageLimits, size: number, read: number, file: string): SprocketError | undefined {
  if (size <= limits.ratioFloor || size <= limits.maxCompressionRatio * read) return undefined;
  return invalid(`uncompressed data grows beyond ${limits.maxCompressionRatio} times the compressed bytes read (${size} from ${read}): a decompression bomb`, {
    file, hint: 'raise the ratio with SPROCKET_MAX_COMPRESSION_RATIO if the image is trusted',
  });
}

/** Free bytes for an unprivileged writer on the filesystem of `dir`. */
export async function freeSpace(dir: string): Promise<number> {
  const st = await fs.statfs(dir);
  return st.bavail * st.bsize;
}

export interface ReadAciOptions {
  limits?: ImageLimits;
  copyTo?: fs.FileHandle;
  /** For an uncompressed ACI, leave the data of large rootfs files out of copyTo (src/image/blob.ts): the sink keeps them. */
  leaveHoles?: boolean;
  /**
   * The ACI's bytes, when they are not simply the content of `file`: a blob
   * with its holes filled (`file` is the blob), or a converted OCI layer as
   * it streams in (`file` only names it in messages, and `size` is given).
   */
  source?: Readable;
  /** With a `source` that no file holds: about how many bytes it has (the first free space check and the choice of the hashing thread go by it). */
  size?: number;
  /** Where the sink (and copyTo) write: extraction stops before its filesystem has less than limits.minFreeSpace free. */
  diskDir?: string;
  /** How free space is measured (tests give a fake). */
  freeSpace?: (dir: string) => Promise<number>;
  /** The image ID of a stored blob, which its import checked: returned, the bytes not hashed again (a render of its layers). */
  knownId?: ImageId;
  /** ACIs of this size and more are hashed in a worker thread (tests lower it). */
  hashInWorkerFrom?: number;
}

/** The hash of a blob whose image ID is known (ReadAciOptions.knownId): nothing to compute. */
const known = (id: ImageId): Sha512 => ({
  update: () => undefined,
  digest: () => Promise.resolve(id.slice('sha512-'.length)),
  close: () => Promise.resolve(),
});

/**
 * Reads the ACI at `file`. `copyTo`, when given, receives the original bytes
 * as they are read (the store keeps them for export), so the file is read once.
 */
export async function readAci(file: string, sink: EntrySink = drainSink, opts: ReadAciOptions = {}): Promise<AciContents> {
  const limits = opts.limits ?? imageLimits();
  const input = opts.source ? await streamHead(opts.source, MAGIC_BYTES) : undefined;
  const roomLeft = diskGuard(file, limits, opts);
  let compression: Compression | undefined;
  let fileSize: number;
  // Until the pipeline below reads the source, a failure here must end it.
  try {
    compression = detectCompression(input?.head ?? (await readAciHead(file)));
    if (!compression) throw invalid('not an ACI: neither a tar archive nor gzip, bzip2 or xz data', { file });
    fileSize = opts.size ?? (await fs.stat(file)).size;
    await roomLeft(fileSize);
  } catch (e) {
    input?.all.destroy();
    throw e;
  }
  const copy = new BlobCopy(opts.copyTo, compression === 'tar' && opts.leaveHoles === true);

  const hash = opts.knownId ? known(opts.knownId) : fileSize >= (opts.hashInWorkerFrom ?? HASH_IN_WORKER_FROM_BYTES) ? sha512InWorker() : sha512Here();
  let size = 0;
  let nextSpaceCheck = FREE_SPACE_STEP_BYTES;
  const measure = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > limits.maxImageSize) {
        cb(invalid(`uncompressed image is larger than the limit of ${limits.maxImageSize} bytes`, { file, hint: 'raise it with --max-image-size or SPROCKET_MAX_IMAGE_SIZE if the image is trusted' }));
        return;
      }
      const bomb = compression === 'tar' ? undefined : growthError(limits, size, copy.bytesRead(), file);
      if (bomb) return cb(bomb);
      const hashing = hash.update(chunk);
      const checking = size < nextSpaceCheck ? undefined : roomLeft(0);
      if (checking) nextSpaceCheck = size + FREE_SPACE_STEP_BYTES;
      if (!hashing && !checking) return cb(null, chunk);
      Promise.all([hashing, checking]).then(() => cb(null, chunk), cb);
    },
  });

  const index = new LayerIndex(file);
  let manifestBytes: Buffer | undefined;
  let entries = 0;
  let sawRootfs = false;
  let lastDataEnd = 0;
  const extract = tar.extract();
  extract.on('entry', (header, body, next) => {
    body.on('error', () => {}); // the failure reaches us through pipeline(); not again as an unhandled event
    handle(header, body as unknown as EntryBody).then(() => next(), next);
  });
  async function handle(header: tar.Header, body: EntryBody): Promise<void> {
    if (++entries > limits.maxEntries) throw invalid(`more than ${limits.maxEntries} entries`, { file });
    refuseGlobalRenames(extract, file);
    const dataStart = (header as { byteOffset?: number }).byteOffset ?? 0;
    lastDataEnd = dataStart + Math.ceil((header.size ?? 0) / 512) * 512;
    const place = entryPlace(header.name, file);
    const kind = LayerIndex.kind(header.type, file, `entry ${JSON.stringify(header.name)}`);
    // A rootfs file goes to the sink's tree, which may then hold its data for the blob (a failed check below fails the whole read).
    const inTree = place.place === 'rootfs' && place.rel !== '' && place.rel !== '.' && kind === 'file';
    copy.entry(dataStart, header.size ?? 0, inTree ? place.rel : undefined);
    if (place.place === 'manifest') {
      if (manifestBytes) throw invalid('duplicate entry', { file, field: 'manifest' });
      if (kind !== 'file') throw invalid('manifest is not a regular file', { file, field: 'manifest' });
      if ((header.size ?? 0) > limits.maxManifestSize) throw invalid(`manifest is larger than ${limits.maxManifestSize} bytes`, { file, field: 'manifest' });
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c);
      manifestBytes = Buffer.concat(chunks);
      return;
    }
    if (place.rel === '.') return drain(body);
    sawRootfs = true;
    if (place.rel === '') {
      if (kind !== 'directory') throw invalid('rootfs is not a directory', { file, field: 'rootfs' });
      if (index.has('')) throw invalid('duplicate entry', { file, field: 'rootfs' });
      index.add('', kind);
      return sink({ rel: '', kind, header }, body);
    }
    let linkTarget: string | undefined;
    if (kind === 'link') {
      const target = entryPlace(header.linkname ?? '', file);
      if (target.place !== 'rootfs' || target.rel === '' || target.rel === '.') throw invalid('hard link to a target outside rootfs/', { file, field: `rootfs/${place.rel}` });
      linkTarget = target.rel;
    }
    index.add(place.rel, kind, linkTarget);
    await sink({ rel: place.rel, kind, linkTarget, header }, body);
  }

  const { stream: decompress, done } = decompressor(compression, file);
  // A failure can be reported again (by zlib, or by tar-stream when an entry
  // handler gives up) after pipeline() has settled with the first one.
  decompress.on('error', () => {});
  extract.on('error', () => {});
  let digest: string;
  try {
    await pipeline(input?.all ?? sharedReads(file, READ_CHUNK_BYTES), copy.stream, decompress, measure, extract as unknown as Writable);
    await done;
    await copy.written();
    digest = await hash.digest();
  } catch (e) {
    await copy.settled();
    if (e instanceof SprocketError) throw e;
    throw invalid(`corrupt or truncated archive: ${(e as Error).message}`, { file });
  } finally {
    await hash.close();
  }
  // A complete tar ends with two zero blocks; without them it was cut short.
  if (size - lastDataEnd < 1024) throw invalid('truncated archive: no end-of-archive marker', { file });
  if (!manifestBytes) throw invalid('no manifest in the archive', { file, field: 'manifest' });
  if (!sawRootfs) throw invalid('no rootfs/ directory in the archive', { file, field: 'rootfs' });
  const manifest = parseImageManifest(manifestBytes, `${file}: manifest`);
  return { id: ImageId.parse(`sha512-${digest}`), manifest, manifestBytes, compression, size, holes: copy.holes };
}
