// One OCI layer (a tar of changes) becomes one ACI, a "layer image": its
// files under rootfs/, its whiteouts (`.wh.NAME`, `.wh..wh..opq`) taken out
// of the tree and recorded in the manifest, where the image that stacks the
// layers reads them back (see stack.ts). The ACI depends only on the
// layer's uncompressed content (its DiffID), so a layer shared by several
// images converts to the same bytes and is stored once. The result is an
// ordinary ACI: the store's reader checks it like any other.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { invalid, SprocketError } from '../../errors.js';
import type { ImageManifest } from '../../spec/index.js';
import { nameParts } from '../aci-entry.js';
import { addEntry, type TarHeader } from '../aci-writer.js';
import { drain, growthError, refuseGlobalRenames } from '../aci-reader.js';
import { decompressor, type LayerCompression } from '../decompress.js';
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
  /** The layer blob on disk (its digest already checked). */
  blob: string;
  compression: LayerCompression;
  /** sha256:... of the uncompressed tar, from the image config. */
  diffId: string;
  /** For messages: the layer's digest and where it came from. */
  source: string;
  limits: ImageLimits;
}

/** Writes the layer image of `layer` to `out` (a plain tar). */
export async function convertLayer(layer: LayerInput, out: string): Promise<void> {
  const { stream: decompress, done } = decompressor(layer.compression, layer.source);
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
      const bomb = layer.compression === 'tar' ? undefined : growthError(layer.limits, size, read, layer.source);
      if (bomb) return cb(bomb);
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  const pack = tar.pack();
  const written = pipeline(pack as unknown as Readable, createWriteStream(out, { mode: 0o644 }));
  written.catch(() => {});
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

  try {
    await pipeline(createReadStream(layer.blob), count, decompress, measure, extract as unknown as Writable);
    await done;
  } catch (e) {
    pack.destroy();
    if (e instanceof SprocketError) throw e;
    throw invalid(`corrupt or truncated layer: ${(e as Error).message}`, { file: layer.source });
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== layer.diffId) {
    pack.destroy();
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
  await written;
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
