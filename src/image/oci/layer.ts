// One OCI layer (a tar of changes) becomes one ACI, a "layer image": its
// files under rootfs/, its whiteouts (`.wh.NAME`, `.wh..wh..opq`) taken out
// of the tree and recorded in the manifest, where the image that stacks the
// layers reads them back (see stack.ts). The ACI depends only on the
// layer's uncompressed content (its DiffID), so a layer shared by several
// images converts to the same bytes and is stored once. The result is an
// ordinary ACI: the store's reader checks it like any other.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { PassThrough, pipeline as pipe, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { invalid, SprocketError } from '../../errors.js';
import type { ImageManifest } from '../../spec/index.js';
import { nameParts } from '../aci-entry.js';
import { addEntry, type TarHeader } from '../aci-writer.js';
import { drain, growthError, refuseGlobalRenames } from '../aci-reader.js';
import { decompressor, detectCompression, MAGIC_BYTES, streamHead, type LayerCompression } from '../decompress.js';
import type { ImageLimits } from '../limits.js';

/** Name of the layer image of the layer whose DiffID is `diffId`. */
export const layerImageName = (diffId: string) => `oci-layer/${diffId.replace(':', '-')}`;

/** Annotations of a layer image that carry its whiteouts (JSON arrays of paths inside rootfs). */
export const WHITEOUTS = 'oci-whiteouts';
export const OPAQUE_DIRS = 'oci-opaque-dirs';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const KINDS = new Set(['file', 'contiguous-file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo']);

export interface LayerInput {
  /** The layer blob's bytes, from a stream that fails unless they have its digest and size (verifiedStream). */
  blob: Readable;
  /** The descriptor's media type, for messages. */
  mediaType: string;
  /** sha256:... of the uncompressed tar, from the image config. */
  diffId: string;
  /** For messages: the layer's digest and where it came from. */
  source: string;
  limits: ImageLimits;
}

/**
 * The layer image of `layer`, a plain tar, as the layer streams in: the
 * stream ends only once the blob matched its digest and the layer its
 * DiffID, and fails instead on any failure (so a reader that waits for the
 * end of the archive has trusted nothing before). Destroying it stops the
 * layer's stream.
 */
export function convertLayer(layer: LayerInput): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  pipe(pack as unknown as Readable, out, () => {});
  convert(layer, pack).catch((e: unknown) => pack.destroy(e as Error));
  return out;
}

async function convert(layer: LayerInput, pack: tar.Pack): Promise<void> {
  const { head, all } = await streamHead(layer.blob, MAGIC_BYTES);
  const parse = new PassThrough();
  parse.on('error', () => {}); // its failure reaches us through pipeline()
  // The reader of the layer image gave up (or failed): stop reading the layer.
  pack.on('close', () => {
    all.destroy();
    parse.destroy();
  });
  const compression = layerCompression(head, layer);
  const { stream: decompress, done } = decompressor(compression, layer.source);
  const hash = createHash('sha256');
  let size = 0;
  let read = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      read += chunk.length;
      cb(null, chunk);
    },
  });
  // The bounds of the ACI reader: size, and (for compressed layers) the decompression bomb ratio.
  const measure = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > layer.limits.maxImageSize) return cb(invalid(`uncompressed layer is larger than the limit of ${layer.limits.maxImageSize} bytes`, { file: layer.source, hint: 'raise it with --max-image-size or SPROCKET_MAX_IMAGE_SIZE if the image is trusted' }));
      const bomb = compression === 'tar' ? undefined : growthError(layer.limits, size, read, layer.source);
      if (bomb) return cb(bomb);
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  await addEntry(pack, { name: 'rootfs/', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) });

  let entries = 0;
  const extract = tar.extract();
  extract.on('entry', (header, body, next) => {
    body.on('error', () => {});
    handle(header, body as unknown as AsyncIterable<Buffer>).then(() => next(), next);
  });
  async function handle(header: tar.Header, body: AsyncIterable<Buffer>): Promise<void> {
    const field = `entry ${JSON.stringify(header.name)}`;
    refuseGlobalRenames(extract, layer.source);
    if (++entries > layer.limits.maxEntries) throw invalid(`more than ${layer.limits.maxEntries} entries`, { file: layer.source });
    if (!KINDS.has(header.type ?? '')) throw invalid(`unsupported tar entry type ${JSON.stringify(header.type)}`, { file: layer.source, field });
    // A layer's names may start with / (readers strip it); the other rules are an ACI's.
    const rel = nameParts(header.name, layer.source, field).join('/');
    const linkTarget = header.type === 'link' ? nameParts(header.linkname ?? '', layer.source, `${field}: link target`).join('/') : undefined;
    if (rel === '') return drain(body); // the layer's root: the layer image has its own rootfs/
    const base = path.posix.basename(rel);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const dir = path.posix.dirname(rel);
      if (base === OPAQUE_MARKER) opaque.push(dir === '.' ? '' : dir);
      else whiteouts.push(path.posix.join(dir, base.slice(WHITEOUT_PREFIX.length)));
      return drain(body);
    }
    await addEntry(pack, rootfsHeader(header, rel, linkTarget), header.type === 'file' || header.type === 'contiguous-file' ? body : (await drain(body), undefined));
  }

  let parseError: unknown;
  const parsed = pipeline(parse, count, decompress, measure, extract as unknown as Writable)
    .then(() => done)
    .catch((e: unknown) => void (parseError = e ?? new Error('failed')));
  // The blob is read to its end even when what it holds failed to parse, so
  // that a blob that does not match its digest is refused as such (its
  // stream fails here), not as the corrupt data it made; the stream bounds it
  // to the descriptor's size, which the old download read in full too.
  try {
    for await (const chunk of all as AsyncIterable<Buffer>) {
      if (parseError === undefined && !parse.destroyed && !parse.write(chunk)) await Promise.race([once(parse, 'drain'), parsed]);
    }
  } catch (e) {
    parse.destroy();
    throw e;
  }
  parse.end();
  await parsed;
  if (parseError instanceof SprocketError) throw parseError;
  if (parseError !== undefined) throw invalid(`corrupt or truncated layer: ${(parseError as Error).message}`, { file: layer.source });
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== layer.diffId) {
    throw invalid(`the uncompressed layer has digest ${actual}, but the image config says ${layer.diffId}`, { file: layer.source, field: 'rootfs.diff_ids' });
  }
  // The manifest comes last: the whiteouts are known only once the layer is read.
  const manifest: ImageManifest = {
    acKind: 'ImageManifest',
    acVersion: '0.8.11',
    name: layerImageName(layer.diffId),
    annotations: [
      { name: WHITEOUTS, value: JSON.stringify(whiteouts) },
      { name: OPAQUE_DIRS, value: JSON.stringify(opaque) },
    ],
  };
  await addEntry(pack, { name: 'manifest', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) }, Buffer.from(JSON.stringify(manifest)));
  pack.finalize();
}

/** Gzip, zstd or plain, told by the blob's first bytes (never by the media type alone). */
function layerCompression(head: Buffer, layer: LayerInput): LayerCompression {
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  const kind = detectCompression(head);
  if (kind === 'gzip' || kind === 'tar') return kind;
  if (head.length === 0 || head.every((b) => b === 0)) return 'tar'; // an empty layer: only the end-of-archive blocks
  throw invalid(`layer of media type ${layer.mediaType} is neither a tar nor gzip or zstd data`, { file: layer.source });
}

/** The entry's header moved below rootfs/ (a hard link's target too); only the fields an ACI keeps. */
function rootfsHeader(h: tar.Header, rel: string, linkTarget: string | undefined): TarHeader {
  const xattrs = Object.entries(h.pax ?? {}).filter(([k]) => k.startsWith('SCHILY.xattr.'));
  const linkname = linkTarget !== undefined ? `rootfs/${linkTarget}` : h.linkname ?? undefined;
  return {
    name: `rootfs/${rel}`,
    type: h.type === 'contiguous-file' ? 'file' : h.type,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    uname: h.uname,
    gname: h.gname,
    mtime: h.mtime,
    size: h.size,
    linkname,
    devmajor: h.devmajor,
    devminor: h.devminor,
    ...(xattrs.length ? { pax: Object.fromEntries(xattrs) } : {}),
  };
}
