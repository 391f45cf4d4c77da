// An OCI image (from a registry or an archive) into the ACI store: each
// layer becomes a layer image unless the store has it already, then the app
// image stacks them. Every blob is downloaded and verified, and every layer
// converted and checked against its DiffID, before anything is imported; a
// failure while importing removes what this run imported.
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalid, SprocketError } from '../../errors.js';
import type { ImageId } from '../../spec/index.js';
import { parseJson } from '../../spec/issues.js';
import { readAciHead } from '../aci-reader.js';
import { addEntry, writeAci } from '../aci-writer.js';
import { detectCompression, type LayerCompression } from '../decompress.js';
import type { ImageStore } from '../store.js';
import { appImageManifest, stackedPaths, type LayerFacts } from './app-image.js';
import { convertLayer, layerImageName, OPAQUE_DIRS, WHITEOUTS } from './layer.js';
import { ImageConfig, type Descriptor, type ImageManifestOci } from './schema.js';

/** Annotations of an app image that record where it came from. */
export const ORIGIN = { reference: 'oci-reference', manifestDigest: 'oci-manifest-digest', indexDigest: 'oci-index-digest' } as const;

/** Where the blobs of one image come from. */
export interface OciBlobs {
  /** For messages: the registry URL or archive file. */
  source: string;
  /** Writes the blob of `d` to `file`, its size and digest verified. */
  blobTo(d: Descriptor, file: string): Promise<void>;
  /** A small blob in memory, verified. */
  smallBlob(d: Descriptor): Promise<Buffer>;
}

export interface OciImport {
  manifest: ImageManifestOci;
  /** The appc name and labels of the app image. */
  name: string;
  labels: Record<string, string>;
  /** Recorded as annotations (reference, manifest digest ...). */
  origin: Record<string, string>;
}

export type OciStore = Pick<ImageStore, 'import' | 'resolve' | 'manifest' | 'treePath' | 'remove' | 'images' | 'limits'>;

/** Reports which layers were downloaded (stderr for the CLI). */
export type Progress = (message: string) => void;

export async function importOciImage(blobs: OciBlobs, image: OciImport, store: OciStore, progress: Progress): Promise<ImageId> {
  const config = parseJson(ImageConfig, await blobs.smallBlob(image.manifest.config), `${blobs.source}: config`);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== image.manifest.layers.length) {
    throw invalid(`the config lists ${diffIds.length} layers, the manifest ${image.manifest.layers.length}`, { file: blobs.source, field: 'rootfs.diff_ids' });
  }
  const work = await fs.mkdtemp(path.join(store.images, 'tmp', `${process.pid}-oci-`));
  const imported: ImageId[] = [];
  try {
    // 1. Download and convert the layers the store lacks; nothing is imported yet.
    const layers: { name: string; id?: ImageId; aci?: string }[] = [];
    for (const [i, d] of image.manifest.layers.entries()) {
      const name = layerImageName(diffIds[i]!);
      const id = await storedImage(store, name);
      if (id) {
        layers.push({ name, id });
        continue;
      }
      progress(`importing layer ${d.digest} (${d.size} bytes)`);
      const blob = path.join(work, `layer-${i}`);
      await blobs.blobTo(d, blob);
      const aci = path.join(work, `layer-${i}.aci`);
      await convertLayer({ blob, compression: await layerCompression(blob, blobs.source, d), diffId: diffIds[i]!, source: `${blobs.source}: ${d.digest}`, limits: store.limits }, aci);
      await fs.rm(blob);
      layers.push({ name, aci });
    }
    // 2. Import them, then the app image over them.
    for (const l of layers) {
      if (l.id) continue;
      l.id = (await store.import(l.aci!)).id;
      imported.push(l.id);
    }
    const facts = await Promise.all(layers.map((l) => layerFacts(store, l.id!)));
    const manifest = appImageManifest({
      ...image,
      layers: layers.map((l) => ({ name: l.name, id: l.id! })),
      whitelist: stackedPaths(facts),
      config,
      source: blobs.source,
    });
    const app = path.join(work, 'image.aci');
    await writeAci(app, { compress: false }, async (pack) => {
      await addEntry(pack, { name: 'manifest', type: 'file', mode: 0o644, mtime: new Date(0) }, Buffer.from(JSON.stringify(manifest)));
      await addEntry(pack, { name: 'rootfs/', type: 'directory', mode: 0o755, mtime: new Date(0) });
    });
    return (await store.import(app)).id;
  } catch (e) {
    for (const id of imported.reverse()) await store.remove(id).catch(() => {});
    throw e;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** The ID of the newest stored image of that name, if any. */
async function storedImage(store: OciStore, name: string): Promise<ImageId | undefined> {
  try {
    return await store.resolve(name);
  } catch (e) {
    if (e instanceof SprocketError && e.kind === 'not-found') return undefined;
    throw e;
  }
}

/** Gzip, zstd or plain, told by the blob's first bytes (never by the media type alone). */
async function layerCompression(blob: string, source: string, d: Descriptor): Promise<LayerCompression> {
  const head = await readAciHead(blob);
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  const kind = detectCompression(head);
  if (kind === 'gzip' || kind === 'tar') return kind;
  if (head.length === 0 || head.every((b) => b === 0)) return 'tar'; // an empty layer: only the end-of-archive blocks
  throw invalid(`layer of media type ${d.mediaType} is neither a tar nor gzip or zstd data`, { file: source, field: d.digest });
}

/** The paths of a stored layer image's own tree and the whiteouts its manifest records. */
async function layerFacts(store: OciStore, id: ImageId): Promise<LayerFacts> {
  const manifest = await store.manifest(id);
  const list = (name: string) => JSON.parse(manifest.annotations?.find((a) => a.name === name)?.value ?? '[]') as string[];
  const root = store.treePath(id);
  const entries = await fs.readdir(root, { recursive: true });
  return { paths: entries.map((e) => e.split(path.sep).join('/')), whiteouts: list(WHITEOUTS), opaque: list(OPAQUE_DIRS) };
}
