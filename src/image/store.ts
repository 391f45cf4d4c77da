// The content-addressed image store under DIR/images (layout and locking:
// docs/on-disk-format.md). Every change is built in a private temporary
// directory inside the store and published with one rename under the lock,
// so concurrent sprocket processes never see or make a half-built image.
import { execFile } from 'node:child_process';
import { constants, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { z } from 'zod';
import { failedFor, invalid, notFound, SprocketError } from '../errors.js';
import { killPoint } from '../kill-point.js';
import { ImageId, ImageManifest, parseImageManifest } from '../spec/index.js';
import type { AciContents, EntrySink, ReadAciOptions } from './aci-reader.js';
import { BlobHole, BlobHoles, exportFilledBlob, filledBlob, fillHoles } from './blob.js';
import { describeRef, labelsMatch, parseImageRef } from './image-ref.js';
import { ImageLimits, imageLimits } from './limits.js';
import { makePrivateDirs, warnOnStderr } from './private-dirs.js';
import { withLock } from './store-lock.js';
import type { TreeWriter } from './tree-writer.js';

const run = promisify(execFile);

/** The ACI reader and tree writer (tar-stream), loaded by the operations that read ACIs: starting a pod needs neither. */
const aciModules = async () => {
  const [{ readAci }, { TreeWriter, leftOutWarnings }] = await Promise.all([import('./aci-reader.js'), import('./tree-writer.js')]);
  return { readAci, TreeWriter, leftOutWarnings };
};

/** DIR/images/<id>/info.json */
export const ImageInfo = z.object({
  importedAt: z.string(),
  lastUsedAt: z.string(),
  /** Size of the uncompressed tar. */
  size: z.number(),
  compression: z.string(),
});
export type ImageInfo = z.infer<typeof ImageInfo>;

export interface StoredImage {
  id: ImageId;
  manifest: ImageManifest;
  info: ImageInfo;
}

/** An image whose manifest or info no longer reads or validates: reported, never hidden. */
export interface BrokenImage {
  id: ImageId;
  error: unknown;
}

/** An image read, checked and rendered in a scratch directory of the store (stage()), not in the store yet. */
export interface StagedImage {
  id: ImageId;
  manifest: ImageManifest;
  /** Moves it into the store; false when the store had it already. The scratch directory is gone afterwards, in any case. */
  publish(): Promise<boolean>;
  /** Removes the scratch directory (idempotent). */
  discard(): Promise<void>;
}

export interface ImportExpectation {
  name: string;
  labels?: Record<string, string>;
}

/** DIR/images/<id>/blob-holes.json: the ranges of the blob that the tree holds (src/image/blob.ts). */
const BLOB_HOLES = 'blob-holes.json';

type Dependency = { imageName: string; imageID?: string; labels?: { name: string; value: string }[] };

const isImageId = (name: string) => ImageId.safeParse(name).success;

/** True while process `pid` exists: it may still be using its temporary directory. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class ImageStore {
  readonly images: string;

  /** Where the store's warnings go (an image's entries left out at import, a directory made private). */
  readonly warn: (message: string) => void;

  private constructor(readonly dir: string, readonly limits: ImageLimits, warn: (message: string) => void) {
    this.images = path.join(dir, 'images');
    this.warn = warn;
  }

  static async open(dir: string, opts: { limits?: Partial<ImageLimits>; warn?: (message: string) => void } = {}): Promise<ImageStore> {
    const store = new ImageStore(dir, imageLimits(opts.limits), opts.warn ?? warnOnStderr);
    makePrivateDirs(dir, store.warn);
    try {
      for (const sub of ['blobs', 'tmp']) mkdirSync(path.join(store.images, sub), { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new SprocketError('io', `cannot create the image store: ${(e as Error).message}`, { file: store.images });
    }
    return store;
  }

  private imageDir(id: ImageId): string {
    return path.join(this.images, id);
  }

  blobPath(id: ImageId): string {
    return path.join(this.images, 'blobs', id);
  }

  /** The rendered, dependency-applied tree that pods mount read-only. */
  treePath(id: ImageId): string {
    return path.join(this.imageDir(id), 'rootfs');
  }

  /** Directory of references held by pods: one file per pod UUID; rm and gc leave such images alone. */
  refsPath(id: ImageId): string {
    return path.join(this.imageDir(id), 'refs');
  }

  /** Runs `fn` holding the store's lock (pods take it to add a reference). */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(path.join(this.images, 'lock'), fn);
  }

  async has(id: ImageId): Promise<boolean> {
    return fs.stat(path.join(this.imageDir(id), 'manifest')).then(() => true, (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw storeError(e, path.join(this.imageDir(id), 'manifest'));
    });
  }

  async manifest(id: ImageId): Promise<ImageManifest> {
    return parseImageManifest(await this.manifestBytes(id), path.join(this.imageDir(id), 'manifest'));
  }

  /** The manifest exactly as the ACI holds it. */
  async manifestBytes(id: ImageId): Promise<Buffer> {
    return this.readImageFile(id, 'manifest');
  }

  async info(id: ImageId): Promise<ImageInfo> {
    return parseStored(ImageInfo, this.readImageFile(id, 'info.json').toString('utf8'), path.join(this.imageDir(id), 'info.json'));
  }

  /**
   * A small file of image `id`, read synchronously: the store's files are
   * read on the way to every pod's start, and each asynchronous read is a few
   * trips through libuv's thread pool (docs/performance.md).
   */
  private readImageFile(id: ImageId, name: string): Buffer {
    const file = path.join(this.imageDir(id), name);
    try {
      return readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`no image ${id} in the store`, { file: this.images });
      throw storeError(e as NodeJS.ErrnoException, file);
    }
  }

  /** The ranges of image `id`'s blob left to its tree (none for most images). */
  private async blobHoles(id: ImageId): Promise<BlobHole[]> {
    const file = path.join(this.imageDir(id), BLOB_HOLES);
    const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw storeError(e, file);
    });
    return text === undefined ? [] : parseStored(BlobHoles, text, file);
  }

  /** Reads image `id`'s blob (readAci) as it was imported: its holes filled from its tree. */
  async readBlob(id: ImageId, sink?: EntrySink, opts: Pick<ReadAciOptions, 'diskDir'> = {}): Promise<AciContents> {
    const { readAci } = await aciModules();
    return readAci(this.blobPath(id), sink, { limits: this.limits, ...opts, source: await this.blobSource(id) });
  }

  /** The blob's bytes with its holes filled, or undefined when it has none (the file itself is the ACI). */
  private async blobSource(id: ImageId): Promise<Readable | undefined> {
    const holes = await this.blobHoles(id);
    return holes.length ? filledBlob(this.blobPath(id), holes, this.treePath(id)) : undefined;
  }

  /** IDs of the images in the store (directories named by an image ID). */
  async ids(): Promise<ImageId[]> {
    try {
      return readdirSync(this.images).filter(isImageId).sort();
    } catch (e) {
      throw storeError(e as NodeJS.ErrnoException, this.images);
    }
  }

  /** The images whose manifest and info read and validate, and the others with why (none hidden). */
  async list(): Promise<{ images: StoredImage[]; broken: BrokenImage[] }> {
    const images: StoredImage[] = [];
    const broken: BrokenImage[] = [];
    await Promise.all((await this.ids()).map(async (id) => {
      try {
        images.push({ id, manifest: await this.manifest(id), info: await this.info(id) });
      } catch (error) {
        if (!(error instanceof SprocketError && error.kind === 'not-found')) broken.push({ id, error }); // not-found: removed while we looked
      }
    }));
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    return { images: images.sort(byId), broken: broken.sort(byId) };
  }

  /** A full ID, a unique ID prefix, or name[:version][,label=value...]. */
  async resolve(ref: string): Promise<ImageId> {
    const parsed = parseImageRef(ref);
    let matches: ImageId[];
    let broken: BrokenImage[] = [];
    if (parsed.by === 'id') {
      matches = (await this.ids()).filter((n) => n.startsWith(parsed.prefix));
    } else {
      const all = await this.list();
      broken = all.broken;
      matches = all.images.filter((i) => i.manifest.name === parsed.name && labelsMatch(i.manifest.labels, parsed.labels)).map((i) => i.id);
    }
    // The image asked for may be one that no longer reads: say so rather than "no such image".
    if (matches.length === 0 && broken.length) throw failedFor(`no readable image ${ref} in the store; it may be one of these, which cannot be read`, broken.map((b) => ({ name: b.id, error: b.error })));
    if (matches.length === 0) throw notFound(`no image ${ref} in the store`, { file: this.images, hint: 'see `sprocket image list`' });
    if (matches.length > 1) {
      throw new SprocketError('conflict', `${ref} is ambiguous: it matches ${matches.length} images`, {
        file: this.images,
        hint: `use a longer ID: ${matches.map((m) => m.slice(0, 19)).join(', ')}`,
      });
    }
    return matches[0]!;
  }

  /**
   * Imports the ACI at `acipath` (idempotent). The file is read once: its
   * bytes go to the blob (an uncompressed ACI's large files only to the tree:
   * src/image/blob.ts), its tar entries into the tree, its uncompressed bytes
   * through the hash. Nothing is left behind when it fails.
   */
  async import(acipath: string, opts: { expect?: ImportExpectation } & Pick<ReadAciOptions, 'source' | 'size'> = {}): Promise<{ id: ImageId; manifest: ImageManifest }> {
    const staged = await this.stage(acipath, opts);
    await staged.publish();
    return { id: staged.id, manifest: staged.manifest };
  }

  /**
   * Reads, checks and renders an ACI (the file at `acipath`, or the bytes of
   * `opts.source`, which `acipath` then only names) into a scratch directory
   * of the store, as import() does, but leaves it there: publish() moves it
   * into the store, discard() removes it. A fetch stages every layer before
   * it publishes any.
   */
  async stage(acipath: string, opts: { expect?: ImportExpectation } & Pick<ReadAciOptions, 'source' | 'size'> = {}): Promise<StagedImage> {
    const { readAci, TreeWriter, leftOutWarnings } = await aciModules();
    const tmp = await this.scratchDir();
    const discard = () => fs.rm(tmp, { recursive: true, force: true });
    try {
      const blob = path.join(tmp, 'blob');
      const warnings = leftOutWarnings(acipath, this.warn);
      const tree = new TreeWriter(path.join(tmp, 'rootfs'), warnings.leftOut);
      await fs.mkdir(tree.root, 0o755);
      const fh = await fs.open(blob, 'wx', 0o644);
      let contents: AciContents;
      let layers: ImageId[];
      try {
        contents = await readAci(acipath, (e, body) => tree.write(e, body), { limits: this.limits, copyTo: fh, leaveHoles: true, diskDir: tmp, source: opts.source, size: opts.size });
        warnings.done();
        checkExpectation(contents.manifest, opts.expect, acipath);
        if (await this.has(contents.id)) {
          await discard();
          return { id: contents.id, manifest: contents.manifest, publish: () => Promise.resolve(false), discard };
        }
        layers = await this.dependencyLayers(contents.manifest, acipath);
        // Dependencies or a pathWhitelist change the tree: the blob takes the holes' data back from it first.
        if (layers.length || contents.manifest.pathWhitelist?.length) await fillHoles(fh, contents.holes, tree.root);
        else if (contents.holes.length) await fs.writeFile(path.join(tmp, BLOB_HOLES), JSON.stringify(contents.holes));
      } finally {
        await fh.close();
      }
      const { id, manifest } = contents;
      let final = tree;
      if (layers.length) {
        // The image's own files go over its dependencies: render all layers afresh, the image's last.
        await fs.rm(tree.root, { recursive: true, force: true });
        final = await this.renderLayers(layers, path.join(tmp, 'rootfs'), { own: blob, linkFiles: true });
      }
      await final.applyWhitelist(manifest.pathWhitelist);
      await final.finish();
      await fs.writeFile(path.join(tmp, 'manifest'), contents.manifestBytes, { mode: 0o644 });
      const now = new Date().toISOString();
      const info: ImageInfo = { importedAt: now, lastUsedAt: now, size: contents.size, compression: contents.compression };
      await fs.writeFile(path.join(tmp, 'info.json'), `${JSON.stringify(info)}\n`);
      await fs.mkdir(path.join(tmp, 'refs'));
      await fs.chmod(tmp, 0o755);
      const publish = async () => {
        try {
          killPoint('import:rendered');
          return await this.locked(async () => {
            if (await this.has(id)) return false; // another process imported it meanwhile
            await fs.rename(blob, this.blobPath(id));
            // A kill here leaves a blob without an image, which image gc removes.
            killPoint('import:blob-stored');
            await fs.rename(tmp, this.imageDir(id));
            return true;
          });
        } finally {
          await discard();
        }
      };
      return { id, manifest, publish, discard };
    } catch (e) {
      await discard();
      throw e;
    }
  }

  /** IDs of the dependencies' layers, depth first in list order, each once. */
  private async dependencyLayers(manifest: ImageManifest, file: string, seen = new Set<ImageId>()): Promise<ImageId[]> {
    const deps = (manifest.dependencies ?? []) as Dependency[];
    const layers: ImageId[] = [];
    for (const [i, dep] of deps.entries()) {
      const id = await this.findDependency(dep, file, `dependencies[${i}]`);
      if (seen.has(id)) continue;
      seen.add(id);
      layers.push(...(await this.dependencyLayers(await this.manifest(id), file, seen)), id);
    }
    return layers;
  }

  private async findDependency(dep: Dependency, file: string, field: string): Promise<ImageId> {
    const labels = Object.fromEntries((dep.labels ?? []).map((l) => [l.name, l.value]));
    const what = dep.imageID ?? describeRef(dep.imageName, labels);
    const missing = () => notFound(`dependency ${what} is not in the store`, { file, field, hint: 'import the dependencies first' });
    if (dep.imageID) {
      if (!(await this.has(dep.imageID))) throw missing();
      return dep.imageID;
    }
    const candidates = (await this.list()).images.filter((i) => i.manifest.name === dep.imageName && labelsMatch(i.manifest.labels, labels));
    if (!candidates.length) throw missing();
    // Several versions match: the most recently imported wins.
    return candidates.sort((a, b) => b.info.importedAt.localeCompare(a.info.importedAt))[0]!.id;
  }

  /**
   * Renders the stored images `layers`, then the ACI `own` if given, into
   * `root`. With `linkFiles` (an import), the regular files of a layer whose
   * tree is the render of its own blob alone (no dependencies, no
   * pathWhitelist: an OCI layer image, say) are hard links to that tree's
   * files rather than copies: the trees of the store are never written once
   * published, and hold the same bytes and metadata as the entries (an ACI
   * names each path once). Such a blob is then read as it is stored (its
   * holes not filled: their bytes are not used) and not hashed again.
   * Without it (verify), every byte comes from the blobs.
   */
  private async renderLayers(layers: ImageId[], root: string, opts: { own?: string; linkFiles?: boolean } = {}): Promise<TreeWriter> {
    const { readAci, TreeWriter } = await aciModules();
    await fs.mkdir(root, 0o755);
    const tree = new TreeWriter(root);
    const sink: EntrySink = (e, body) => tree.write(e, body);
    for (const layer of layers) {
      const manifest = opts.linkFiles ? await this.manifest(layer) : undefined;
      if (manifest && !manifest.dependencies?.length && !manifest.pathWhitelist?.length) {
        const from = this.treePath(layer);
        const linked: EntrySink = (e, body) => tree.write(e, body, e.kind === 'file' ? path.join(from, e.rel) : undefined);
        await readAci(this.blobPath(layer), linked, { limits: this.limits, diskDir: root, knownId: layer });
      } else {
        await this.readBlob(layer, sink, { diskDir: root });
      }
    }
    if (opts.own) await readAci(opts.own, sink, { limits: this.limits, diskDir: root });
    return tree;
  }

  /**
   * Renders image `id` afresh from the blobs (its dependencies' and its own,
   * pathWhitelist applied) into `root`, which must not exist: the tree the
   * store holds should be exactly this (image verify compares them).
   */
  async renderFromBlobs(id: ImageId, root: string): Promise<void> {
    const manifest = await this.manifest(id);
    const layers = await this.dependenciesOf(id);
    const tree = await this.renderLayers([...layers, id], root);
    await tree.applyWhitelist(manifest.pathWhitelist);
    await tree.finish();
  }

  /** The images whose layers lie under image `id`'s, depth first (as rendered). */
  async dependenciesOf(id: ImageId): Promise<ImageId[]> {
    return this.dependencyLayers(await this.manifest(id), this.blobPath(id));
  }

  /** A private scratch directory inside the store (removed by gc once this process is gone). */
  scratchDir(): Promise<string> {
    return fs.mkdtemp(path.join(this.images, 'tmp', `${process.pid}-`));
  }

  /** Removes an image unless a pod holds a reference to it. */
  async remove(ref: string): Promise<ImageId> {
    const id = await this.resolve(ref);
    await this.removeIf(id, () => Promise.resolve(true), true);
    return id;
  }

  /** Under the lock: moves the image out of sight, then deletes it. */
  private async removeIf(id: ImageId, stillWanted: () => Promise<boolean>, refuseIfUsed: boolean): Promise<boolean> {
    const trash = path.join(this.images, 'tmp', `${process.pid}-rm-${id.slice(7, 23)}`);
    const removed = await this.locked(async () => {
      if (!(await this.has(id)) || !(await stillWanted())) return false;
      const refs = await this.holders(id);
      if (refs.length) {
        if (!refuseIfUsed) return false;
        throw new SprocketError('conflict', `image ${id} is used by pod(s) ${refs.join(', ')}`, { file: this.refsPath(id) });
      }
      await fs.rename(this.imageDir(id), trash);
      await fs.rm(this.blobPath(id), { force: true });
      return true;
    });
    await fs.rm(trash, { recursive: true, force: true });
    return removed;
  }

  /**
   * The pods that hold image `id` (its refs/). Fails closed: a refs/ that
   * cannot be read, or is missing (every import makes it), is an error, never
   * "no pod uses it".
   */
  private async holders(id: ImageId): Promise<string[]> {
    const refs = this.refsPath(id);
    return fs.readdir(refs).catch((e: NodeJS.ErrnoException) => {
      throw new SprocketError('io', `cannot tell which pods use image ${id}, so it is kept: ${e.message}`, {
        file: refs, hint: 'repair the directory (an empty refs/ says that no pod uses the image), then try again',
      }, { cause: e });
    });
  }

  /** Writes the original ACI bytes: the exported file has the same image ID (checked when the tree filled holes). */
  async exportTo(id: ImageId, out: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    if (!(await this.has(id))) throw notFound(`no image ${id} in the store`, { file: this.images });
    if (!opts.overwrite && (await fs.lstat(out).then(() => true, () => false))) {
      throw new SprocketError('conflict', 'file exists', { file: out, hint: 'use --overwrite' });
    }
    const tmp = `${out}.${process.pid}.tmp`;
    const filled = await this.blobSource(id);
    try {
      if (filled) await exportFilledBlob(filled, tmp, id);
      else await fs.copyFile(this.blobPath(id), tmp, constants.COPYFILE_FICLONE);
      await fs.rename(tmp, out);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw new SprocketError('io', `cannot export: ${(e as Error).message}`, { file: out });
    }
  }

  /** The image as its ACI holds it (manifest and rootfs/), or only its rootfs, without dependencies. */
  async extract(id: ImageId, dir: string, opts: { rootfsOnly?: boolean } = {}): Promise<void> {
    await this.intoNewDirectory(id, dir, async () => {
      const { TreeWriter, leftOutWarnings } = await aciModules();
      const root = opts.rootfsOnly ? dir : path.join(dir, 'rootfs');
      if (!opts.rootfsOnly) await fs.mkdir(root, 0o755);
      const warnings = leftOutWarnings(id, this.warn);
      const tree = new TreeWriter(root, warnings.leftOut);
      const { manifestBytes } = await this.readBlob(id, (e, body) => tree.write(e, body), { diskDir: root });
      warnings.done();
      await tree.finish();
      if (!opts.rootfsOnly) await fs.writeFile(path.join(dir, 'manifest'), manifestBytes, { mode: 0o644 });
    });
  }

  /** A copy of the rendered tree (dependencies applied, pathWhitelist honoured). */
  async renderTo(id: ImageId, dir: string): Promise<void> {
    await this.intoNewDirectory(id, dir, async () => {
      // cp -a keeps owners, modes, times, xattrs, hard links and device nodes and never follows links.
      await run('cp', ['-a', '--', `${this.treePath(id)}/.`, dir]);
    });
  }

  private async intoNewDirectory(id: ImageId, dir: string, fill: () => Promise<void>): Promise<void> {
    if (!(await this.has(id))) throw notFound(`no image ${id} in the store`, { file: this.images });
    try {
      await fs.mkdir(dir, 0o755);
    } catch (e) {
      throw new SprocketError((e as NodeJS.ErrnoException).code === 'EEXIST' ? 'conflict' : 'io', `cannot create directory: ${(e as Error).message}`, { file: dir, hint: 'name a directory that does not exist yet' });
    }
    try {
      await fill();
    } catch (e) {
      await fs.rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Records that a pod is using the image now (gc's grace period counts from here). */
  async markUsed(id: ImageId): Promise<void> {
    const file = path.join(this.imageDir(id), 'info.json');
    const info = { ...(await this.info(id)), lastUsedAt: new Date().toISOString() };
    writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(info)}\n`);
    renameSync(`${file}.${process.pid}.tmp`, file);
  }

  /**
   * Removes images unused for longer than the grace period and without pod
   * references, blobs without an image, and temporary directories of
   * processes that no longer exist. `failed`: the images it could not
   * handle, with why (kept).
   */
  async gc(gracePeriodMs: number): Promise<{ removed: ImageId[]; failed: { name: string; error: unknown }[] }> {
    const tmpDir = path.join(this.images, 'tmp');
    for (const name of await fs.readdir(tmpDir)) {
      const pid = Number.parseInt(name, 10);
      if (!alive(pid)) await fs.rm(path.join(tmpDir, name), { recursive: true, force: true });
    }
    const cutoff = Date.now() - gracePeriodMs;
    const removed: ImageId[] = [];
    // One image that cannot be handled (its refs/ unreadable, say) is reported, and the others still collected.
    const failed: { name: string; error: unknown }[] = [];
    for (const image of (await this.list()).images) {
      const stale = async () => Date.parse((await this.info(image.id)).lastUsedAt) < cutoff;
      try {
        if (await this.removeIf(image.id, stale, false)) removed.push(image.id);
      } catch (error) {
        failed.push({ name: image.id, error });
      }
    }
    await this.locked(async () => {
      for (const blob of await fs.readdir(path.join(this.images, 'blobs'))) {
        if (!(await this.has(blob))) await fs.rm(path.join(this.images, 'blobs', blob), { force: true });
      }
    });
    return { removed, failed };
  }
}

/** A JSON file of the store, checked against its schema. */
function parseStored<T>(schema: z.ZodType<T>, text: string, file: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('not JSON', { file, hint: 'the store was changed by hand: sprocket image rm it and import it again' });
  }
  const r = schema.safeParse(json);
  if (!r.success) throw invalid(r.error.issues[0]!.message, { file, field: r.error.issues[0]!.path.join('.') });
  return r.data;
}

/** A read of the store that failed for another reason than absence: not "no such image". */
const storeError = (e: NodeJS.ErrnoException, file: string) => new SprocketError('io', `cannot read the image store: ${e.message}`, { file }, { cause: e });

function checkExpectation(manifest: ImageManifest, expect: ImportExpectation | undefined, file: string): void {
  if (!expect) return;
  if (manifest.name !== expect.name) throw invalid(`image is named ${manifest.name}, expected ${expect.name}`, { file, field: 'manifest.name' });
  for (const [k, v] of Object.entries(expect.labels ?? {})) {
    if (!labelsMatch(manifest.labels, { [k]: v })) throw invalid(`label ${k} is not ${JSON.stringify(v)}`, { file, field: 'manifest.labels' });
  }
}
