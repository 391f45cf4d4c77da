// An OCI image (from a registry or an archive) into the ACI store: each
// layer becomes a layer image unless the store has it already, then the app
// image stacks them. Each layer streams from its source through its digest
// check, decompression, the conversion and its DiffID check into the store's
// reader, which renders it in a scratch directory (staged); a layer is
// staged only when both digests matched, and every layer is staged before
// any is published. A failure while importing removes what this run
// imported.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { invalid, SprocketError } from '../../errors.js';
import type { ImageId } from '../../spec/index.js';
import { parseJson } from '../../spec/issues.js';
import { addEntry, writeAci } from '../aci-writer.js';
import type { ImageStore, StagedImage } from '../store.js';
import { appImageManifest, stackedPaths, type LayerFacts } from './app-image.js';
import { convertLayer, layerImageName, OPAQUE_DIRS, WHITEOUTS } from './layer.js';
import { ImageConfig, type Descriptor, type ImageManifestOci } from './schema.js';

/** Annotations of an app image that record where it came from. */
export const ORIGIN = { reference: 'oci-reference', manifestDigest: 'oci-manifest-digest', indexDigest: 'oci-index-digest' } as const;

/** Where the blobs of one image come from. */
export interface OciBlobs {
  /** For messages: the registry URL or archive file. */
  source: string;
  /** The bytes of the blob of `d`: the stream fails, instead of ending, unless they have its size and digest (verifiedStream). */
  blobStream(d: Descriptor): Promise<Readable>;
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

export type OciStore = Pick<ImageStore, 'import' | 'stage' | 'resolve' | 'manifest' | 'treePath' | 'remove' | 'images' | 'limits'>;

/** Reports which layers were downloaded (stderr for the CLI). */
export type Progress = (message: string) => void;

export async function importOciImage(blobs: OciBlobs, image: OciImport, store: OciStore, progress: Progress): Promise<ImageId> {
  const config = parseJson(ImageConfig, await blobs.smallBlob(image.manifest.config), `${blobs.source}: config`);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== image.manifest.layers.length) {
    throw invalid(`the config lists ${diffIds.length} layers, the manifest ${image.manifest.layers.length}`, { file: blobs.source, field: 'rootfs.diff_ids' });
  }
  const work = await fs.mkdtemp(path.join(store.images, 'tmp', `${process.pid}-oci-`));
  const staged: StagedImage[] = [];
  const imported: ImageId[] = [];
  try {
    // 1. Stage the layers the store lacks, a few at a time; nothing is in the store yet.
    const layers: { name: string; id?: ImageId }[] = [];
    for (const diffId of diffIds) {
      const name = layerImageName(diffId);
      layers.push({ name, id: await storedImage(store, name) });
    }
    await eachAtOnce(layers.flatMap((l, i) => (l.id ? [] : [i])), LAYERS_AT_ONCE, async (i, stopped) => {
      const d = image.manifest.layers[i]!;
      progress(`importing layer ${d.digest} (${d.size} bytes)`);
      const source = `${blobs.source}: ${d.digest}`;
      const blob = await blobs.blobStream(d);
      // Another layer failed: this one is given up (its transfer stopped) rather than read to its end.
      stopped.then(() => blob.destroy(), () => {});
      const layer = await store.stage(source, { source: convertLayer({ blob, mediaType: d.mediaType, diffId: diffIds[i]!, source, limits: store.limits }), size: d.size });
      staged.push(layer);
      layers[i]!.id = layer.id;
    });
    // 2. Into the store, then the app image over them.
    for (const layer of staged) if (await layer.publish()) imported.push(layer.id);
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
    for (const layer of staged) await layer.discard();
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * Layers downloaded and staged at once, as docker pulls them: a layer's
 * stream leaves the main thread idle while it waits for the registry, which
 * another layer's conversion then uses.
 */
const LAYERS_AT_ONCE = 3;

/**
 * Runs `fn` on every item, `width` at a time. The first failure is thrown
 * once the runs in progress have settled; `stopped` (given to each run)
 * resolves at that failure, and no item is started after it.
 */
async function eachAtOnce<T>(items: T[], width: number, fn: (item: T, stopped: Promise<void>) => Promise<void>): Promise<void> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let failure: { error: unknown } | undefined;
  let next = 0;
  const run = async (): Promise<void> => {
    while (!failure && next < items.length) {
      try {
        await fn(items[next++]!, stopped);
      } catch (error) {
        failure ??= { error };
        stop();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, run));
  if (failure) throw failure.error;
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

/** The paths of a stored layer image's own tree and the whiteouts its manifest records. */
async function layerFacts(store: OciStore, id: ImageId): Promise<LayerFacts> {
  const manifest = await store.manifest(id);
  const list = (name: string) => JSON.parse(manifest.annotations?.find((a) => a.name === name)?.value ?? '[]') as string[];
  const root = store.treePath(id);
  const entries = await fs.readdir(root, { recursive: true });
  return { paths: entries.map((e) => e.split(path.sep).join('/')), whiteouts: list(WHITEOUTS), opaque: list(OPAQUE_DIRS) };
}
