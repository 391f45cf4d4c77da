// `sprocket fetch`: brings images into the store from a file, an http(s) URL
// or an image name (meta discovery), verifies their signatures and fetches
// their dependencies first (the store only takes an image whose
// dependencies it already has). Nothing reaches the store before every check
// on an image has passed.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SprocketError, invalid, usage } from '../errors.js';
import { ImageId, type ImageManifest } from '../spec/index.js';
import { readAci } from './aci-reader.js';
import { checkImageName, discoverImage, hostLabels, type NamedImage } from './discovery.js';
import { describeRef, parseImageRef } from './image-ref.js';
import { DOCKER_SCHEME } from './oci/reference.js';
import type { ImageStore } from './store.js';
import { fetchCached, httpCacheDir } from './fetch-cache.js';
import { getSmall, type Transport } from './http.js';
import { transportOf, type InsecureOptions } from './fetch-options.js';
import { readHostAuthorization } from './credentials.js';
import type { PullPolicy } from './pull-policy.js';
import type { ConfigDirs } from './trust.js';

/** What fetching needs of the image store. */
export type ImageTarget = Pick<ImageStore, 'has' | 'resolve' | 'import' | 'stage' | 'list' | 'manifest' | 'treePath' | 'remove' | 'images' | 'limits' | 'scratchDir'>;

export interface FetchOptions {
  store: ImageTarget;
  /** State directory; downloads are cached under it. */
  stateDir: string;
  config: ConfigDirs;
  insecure: InsecureOptions;
  /** Signature of a local file, instead of FILE.asc (--signature). */
  signature?: string;
  /** Where warnings go (stderr for the CLI). */
  warn: (message: string) => void;
  /**
   * never: only the store (files are still read); new: a name or docker
   * reference the store has is not fetched again; update (default): ask the
   * remote (discovery, HTTP validators, the registry's manifest digest).
   */
  pullPolicy?: PullPolicy;
}

/** The options with the transport every download of this run uses (auth.d read once). */
type Context = FetchOptions & { transport: Transport; pullPolicy: PullPolicy };

/** An ACI on local disk with what is known about where it came from. */
interface Located {
  path: string;
  /** How the operator named it, for messages. */
  source: string;
  /** Loads the armored signature; undefined when there is none. */
  signature: () => Promise<{ text: string; origin: string }>;
  keyUrls?: string[];
  /** The name and labels that discovery asked for. */
  expect?: NamedImage;
}

/** Fetches every source and returns their image IDs, in order. */
export async function fetchImages(sources: string[], opts: FetchOptions): Promise<string[]> {
  if (opts.signature && sources.length !== 1) throw usage('--signature applies to exactly one image', { field: '--signature' });
  if (opts.insecure.image) opts.warn('warning: signature verification is disabled (--insecure-options=image); images are not checked');
  const ctx: Context = { ...opts, pullPolicy: opts.pullPolicy ?? 'update', transport: { ...transportOf(opts.insecure), hostAuthorization: await readHostAuthorization(opts.config) } };
  const ids: string[] = [];
  for (const source of sources) ids.push(source.startsWith(DOCKER_SCHEME) ? await fetchDocker(source, ctx) : await fetchAci(source, ctx));
  return ids;
}

async function fetchAci(source: string, ctx: Context): Promise<string> {
  const isUrl = /^[a-z]+:\/\//.test(source);
  if (ctx.pullPolicy !== 'update' && !isUrl && !(await isFileSource(source))) {
    const ref = parseImageRef(source);
    if (ref.by === 'name' && (await stored(ctx.store, ref))) return ctx.store.resolve(describeRef(ref.name, ref.labels));
  }
  if (ctx.pullPolicy === 'never' && !(await isFileSource(source))) {
    throw new SprocketError('not-found', `no image ${source} in the store`, { hint: 'fetch it, or use --pull-policy=new' });
  }
  return fetchLocated(await locate(source, ctx), ctx, []);
}

/** docker://: unsigned, so only with --insecure-options=image; converted by src/image/oci. */
async function fetchDocker(source: string, ctx: Context): Promise<string> {
  if (!ctx.insecure.image) {
    throw new SprocketError('untrusted', 'docker images are not signed, so they cannot be verified', { file: source, hint: 'fetch them with --insecure-options=image' });
  }
  const { pullDockerImage } = await import('./oci/pull.js');
  return pullDockerImage(source, { store: ctx.store, config: ctx.config, transport: ctx.transport, policy: ctx.pullPolicy, progress: ctx.warn });
}

const isFileSource = async (source: string) => !/^[a-z]+:\/\//.test(source) && (source.startsWith('/') || source.startsWith('.') || source.endsWith('.aci') || (await isFile(source)));

async function locate(source: string, opts: Context): Promise<Located> {
  if (/^https?:\/\//.test(source)) return download(source, `${source}.asc`, opts);
  if (/^[a-z]+:\/\//.test(source)) throw usage(`unsupported source ${JSON.stringify(source)}: use a file, an http(s) URL, docker://... or an image name`);
  if (await isFileSource(source)) {
    const signature = opts.signature ?? `${source}.asc`;
    const st = await fs.stat(source).catch(() => undefined);
    if (!st?.isFile()) throw new SprocketError('not-found', 'no such file', { file: source });
    return {
      path: source,
      source,
      signature: async () => ({ text: await readSignatureFile(signature), origin: signature }),
    };
  }
  const ref = parseImageRef(source);
  if (ref.by === 'id') throw usage(`${source} is an image ID: fetch takes a file, an http(s) URL or an image name`);
  return discovered(checkImageName(ref), opts);
}

async function discovered(ref: NamedImage, opts: Context): Promise<Located> {
  const endpoints = await discoverImage(ref, opts.transport);
  return { ...(await download(endpoints.aci, endpoints.signature, opts)), keyUrls: endpoints.keys, expect: ref };
}

async function download(aciUrl: string, signatureUrl: string, opts: Context): Promise<Located> {
  const transport = opts.transport;
  const body = await fetchCached(aciUrl, { cacheDir: httpCacheDir(opts.stateDir), transport });
  return {
    path: body,
    source: aciUrl,
    signature: async () => {
      try {
        return { text: (await getSmall(signatureUrl, transport)).body.toString('utf8'), origin: signatureUrl };
      } catch (e) {
        if (e instanceof SprocketError && e.kind === 'not-found') throw missingSignature(signatureUrl);
        throw e;
      }
    },
  };
}

async function readSignatureFile(file: string): Promise<string> {
  return fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw missingSignature(file);
    throw new SprocketError('io', `cannot read the signature: ${e.message}`, { file });
  });
}

const missingSignature = (where: string) =>
  new SprocketError('untrusted', 'no signature for this image', {
    file: where,
    hint: 'put it beside the image as FILE.asc (sprocket fetch also takes --signature FILE), or skip verification with --insecure-options=image',
  });

/**
 * Checks and imports one located ACI after its dependencies; `chain` detects
 * cycles. An ACI whose signature is checked is first read once into a
 * private copy in the store, and checked and imported from there: the file
 * (a local one its owner may rewrite, a download that a concurrent fetch
 * renews) could otherwise change between the check and the import.
 */
async function fetchLocated(image: Located, opts: Context, chain: string[]): Promise<string> {
  if (opts.insecure.image) return fetchChecked(image, { name: image.path, path: image.path }, opts, chain);
  const scratch = await opts.store.scratchDir();
  try {
    const copy = path.join(scratch, 'image.aci');
    await fs.copyFile(image.path, copy, fs.constants.COPYFILE_FICLONE).catch((e: NodeJS.ErrnoException) => {
      throw new SprocketError(e.code === 'ENOENT' ? 'not-found' : 'io', `cannot read the image: ${e.message}`, { file: image.source });
    });
    return await fetchChecked(image, { name: image.source, path: copy, size: (await fs.stat(copy)).size }, opts, chain);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** `bytes`: the file read (`path`), and the name messages give it (the private copy is named as its source). */
async function fetchChecked(image: Located, bytes: { name: string; path: string; size?: number }, opts: Context, chain: string[]): Promise<string> {
  const read = () => (bytes.path === bytes.name ? {} : { source: createReadStream(bytes.path), size: bytes.size });
  const { manifest } = await readAci(bytes.name, undefined, read());
  if (image.expect) checkExpected(manifest, image.expect, image.source);
  if (!opts.insecure.image) {
    const signature = await image.signature();
    // openpgp only when a signature is checked: a docker fetch never needs it, and it is some 0.3 s to load.
    const { verifyImageSignature } = await import('./signature.js');
    await verifyImageSignature(bytes.path, signature.text, manifest.name, opts.config, {
      aci: image.source,
      signature: signature.origin,
      keyUrls: image.keyUrls,
    });
  }
  if (chain.includes(manifest.name)) {
    throw invalid(`dependency cycle: ${[...chain, manifest.name].join(' -> ')}`, { file: image.source, field: 'dependencies' });
  }
  for (const [i, dep] of (manifest.dependencies ?? []).entries()) {
    await fetchDependency(dep, opts, [...chain, manifest.name], { file: image.source, field: `dependencies[${i}]` });
  }
  const expect = image.expect && { name: image.expect.name, labels: image.expect.labels };
  const { id } = await opts.store.import(bytes.name, { expect, ...read() });
  return id;
}

type Dependency = NonNullable<ImageManifest['dependencies']>[number];

async function fetchDependency(dep: Dependency, opts: Context, chain: string[], where: { file: string; field: string }): Promise<void> {
  const labels = Object.fromEntries(((dep as { labels?: { name: string; value: string }[] }).labels ?? []).map((l) => [l.name, l.value]));
  const ref: NamedImage = { by: 'name', name: dep.imageName, labels };
  if (dep.imageID ? ImageId.safeParse(dep.imageID).success && (await opts.store.has(dep.imageID)) : await stored(opts.store, ref)) return;
  const id = await fetchLocated(await discovered(checkImageName(ref), opts), opts, chain);
  if (dep.imageID && dep.imageID !== id) {
    throw invalid(`dependency ${dep.imageName} resolved to image ${id}, but the manifest asks for ${dep.imageID}`, { ...where, field: `${where.field}.imageID` });
  }
}

/**
 * The manifest must carry the name and labels discovery asked for
 * (spec/discovery.md, Validation); os and arch that discovery filled in
 * must match too when the image states them.
 */
function checkExpected(manifest: ImageManifest, ref: NamedImage, source: string): void {
  if (manifest.name !== ref.name) {
    throw invalid(`the image is named ${JSON.stringify(manifest.name)}, but ${JSON.stringify(ref.name)} was asked for`, { file: source, field: 'name' });
  }
  const have = new Map((manifest.labels ?? []).map((l) => [l.name, l.value]));
  const want: Record<string, string> = { ...hostLabels(), ...ref.labels };
  for (const [name, value] of Object.entries(want)) {
    const actual = have.get(name);
    const explicit = name in ref.labels;
    if (actual === value || (actual === undefined && !explicit)) continue;
    throw invalid(
      actual === undefined ? `the image has no label ${name}, but ${name}=${value} was asked for` : `the image has ${name}=${actual}, but ${name}=${value} was asked for`,
      { file: source, field: `labels.${name}` },
    );
  }
}

/** Whether the store has an image of that name and labels (one or several versions). */
async function stored(store: ImageTarget, ref: NamedImage): Promise<boolean> {
  try {
    await store.resolve(describeRef(ref.name, ref.labels));
    return true;
  } catch (e) {
    if (e instanceof SprocketError && e.kind === 'not-found') return false;
    if (e instanceof SprocketError && e.kind === 'conflict') return true;
    throw e;
  }
}

const isFile = (p: string) => fs.stat(p).then((s) => s.isFile(), () => false);
