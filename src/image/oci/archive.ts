// `sprocket image import oci-archive:FILE` (a tar of an OCI image layout:
// oci-layout, index.json, blobs/sha256/...) and `docker-archive:FILE`
// (`docker save` output: manifest.json, the configs and layer tars). The
// archive is hostile like any image: only its regular files (and links
// between them) are taken, by normalized name, into a private directory of
// the store, within the image size bound; then the image goes the way of a
// registry pull (import.ts).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { z } from 'zod';
import { invalid, SprocketError, usage } from '../../errors.js';
import type { ImageId } from '../../spec/index.js';
import { parseJson } from '../../spec/issues.js';
import { drain } from '../aci-reader.js';
import { hostLabels } from '../discovery.js';
import { importOciImage, ORIGIN, type OciBlobs, type OciImport, type OciStore, type Progress } from './import.js';
import { choosePlatform, parseManifest } from './manifest.js';
import { dockerImageName, parseDockerReference } from './reference.js';
import { verifiedStream } from './registry.js';
import { ImageIndex, MEDIA, type Descriptor } from './schema.js';

export const ARCHIVE_KINDS = ['oci-archive', 'docker-archive'] as const;
export type ArchiveKind = (typeof ARCHIVE_KINDS)[number];

/** `oci-archive:FILE` or `docker-archive:FILE`, else undefined. */
export function archiveSource(text: string): { kind: ArchiveKind; file: string } | undefined {
  const kind = ARCHIVE_KINDS.find((k) => text.startsWith(`${k}:`));
  if (!kind) return undefined;
  const file = text.slice(kind.length + 1);
  if (!file) throw usage(`${text}: no file named`, { hint: `use ${kind}:FILE` });
  return { kind, file };
}

const DockerArchiveManifest = z.array(z.looseObject({ Config: z.string(), RepoTags: z.array(z.string()).nullish(), Layers: z.array(z.string()) })).min(1);

export async function importArchive(src: { kind: ArchiveKind; file: string }, store: OciStore, progress: Progress): Promise<ImageId> {
  const dir = await fs.mkdtemp(path.join(store.images, 'tmp', `${process.pid}-archive-`));
  try {
    const files = await unpack(src.file, dir, store.limits.maxImageSize);
    const blobs = localBlobs(files, src.file);
    const image = src.kind === 'oci-archive' ? await ociLayout(files, src.file) : await dockerSave(files, src.file);
    return await importOciImage(blobs, image, store, progress);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Archive member name -> its file in `dir`. */
type Members = Map<string, string>;

const normalize = (name: string, file: string): string => {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (name.startsWith('/') || parts.includes('..')) throw invalid('member outside the archive', { file, field: `entry ${JSON.stringify(name)}` });
  return parts.join('/');
};

async function unpack(file: string, dir: string, maxBytes: number): Promise<Members> {
  const members: Members = new Map();
  const links: [string, string][] = [];
  let size = 0;
  let n = 0;
  const extract = tar.extract();
  extract.on('entry', (header, body, next) => {
    body.on('error', () => {});
    (async () => {
      const name = normalize(header.name, file);
      if (header.type === 'symlink' || header.type === 'link') {
        const target = header.type === 'symlink' ? path.posix.join(path.posix.dirname(name), header.linkname ?? '') : header.linkname ?? '';
        links.push([name, normalize(target, file)]);
        return drain(body as unknown as AsyncIterable<Buffer>);
      }
      if (header.type !== 'file') return drain(body as unknown as AsyncIterable<Buffer>);
      size += header.size ?? 0;
      if (size > maxBytes) throw invalid(`the archive holds more than ${maxBytes} bytes`, { file, hint: 'raise it with --max-image-size or SPROCKET_MAX_IMAGE_SIZE if the image is trusted' });
      const to = path.join(dir, String(n++));
      await pipeline(body as unknown as NodeJS.ReadableStream, createWriteStream(to, { flags: 'wx', mode: 0o600 }));
      members.set(name, to);
    })().then(() => next(), next);
  });
  extract.on('error', () => {});
  try {
    await pipeline(createReadStream(file), extract as unknown as Writable);
  } catch (e) {
    if (e instanceof SprocketError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new SprocketError(code === 'ENOENT' ? 'not-found' : 'invalid', code === 'ENOENT' ? 'no such file' : `not a readable tar archive: ${(e as Error).message}`, { file });
  }
  for (const [name, target] of links) {
    const to = members.get(target);
    if (to) members.set(name, to);
  }
  return members;
}

function member(files: Members, name: string, archive: string): string {
  const found = files.get(normalize(name, archive));
  if (!found) throw invalid(`the archive has no ${name}`, { file: archive });
  return found;
}

/** Blobs of an OCI layout are found by digest; those of a docker save by the descriptor's path annotation. */
function localBlobs(files: Members, archive: string): OciBlobs {
  const locate = (d: Descriptor) => member(files, d.annotations?.[MEMBER] ?? `blobs/sha256/${d.digest.slice('sha256:'.length)}`, archive);
  return {
    source: archive,
    blobStream: async (d) => verifiedStream(createReadStream(locate(d)), d, `${archive}: ${d.digest}`),
    smallBlob: async (d) => {
      const body = await fs.readFile(locate(d));
      const hex = createHash('sha256').update(body).digest('hex');
      if (`sha256:${hex}` !== d.digest || body.length !== d.size) throw invalid(`the blob has digest sha256:${hex} (${body.length} bytes), but the manifest says ${d.digest} (${d.size} bytes)`, { file: archive, field: d.digest });
      return body;
    },
  };
}

/** A docker-archive descriptor's member name (docker save names files, not digests). */
const MEMBER = 'sprocket.member';

async function ociLayout(files: Members, archive: string): Promise<OciImport> {
  const blobs = localBlobs(files, archive);
  const index = parseJson(ImageIndex, await fs.readFile(member(files, 'index.json', archive)), `${archive}: index.json`);
  let d = index.manifests.length === 1 ? index.manifests[0]! : choosePlatform(index, archive);
  const tag = d.annotations?.['org.opencontainers.image.ref.name'];
  for (let depth = 0; ; depth++) {
    const parsed = parseManifest(await blobs.smallBlob(d), d.mediaType, `${archive}: ${d.digest}`);
    if (parsed.kind === 'image') {
      return {
        manifest: parsed.manifest,
        ...archiveName(archive, tag),
        origin: { [ORIGIN.reference]: `oci-archive:${path.basename(archive)}${tag ? `:${tag}` : ''}`, [ORIGIN.manifestDigest]: d.digest },
      };
    }
    if (depth > 4) throw invalid('indexes nested too deep', { file: archive });
    d = choosePlatform(parsed.index, archive);
  }
}

async function dockerSave(files: Members, archive: string): Promise<OciImport> {
  const list = parseJson(DockerArchiveManifest, await fs.readFile(member(files, 'manifest.json', archive)), `${archive}: manifest.json`);
  if (list.length > 1) throw invalid(`the archive holds ${list.length} images; sprocket imports one at a time`, { file: archive, field: 'manifest.json' });
  const entry = list[0]!;
  const describe = async (name: string, mediaType: string): Promise<Descriptor> => {
    const file = member(files, name, archive);
    const hash = createHash('sha256');
    await pipeline(createReadStream(file), new Writable({ write: (c: Buffer, _e, cb) => (hash.update(c), cb()) }));
    return { mediaType, digest: `sha256:${hash.digest('hex')}`, size: (await fs.stat(file)).size, annotations: { [MEMBER]: name } };
  };
  const tagged = entry.RepoTags?.[0];
  const ref = tagged ? parseDockerReference(tagged) : undefined;
  return {
    manifest: {
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: await describe(entry.Config, 'application/vnd.docker.container.image.v1+json'),
      layers: await Promise.all(entry.Layers.map((l) => describe(l, 'application/vnd.docker.image.rootfs.diff.tar'))),
    },
    ...(ref ? { name: dockerImageName(ref), labels: { ...hostLabels(), version: ref.tag ?? 'latest' } } : archiveName(archive, undefined)),
    origin: { [ORIGIN.reference]: `docker-archive:${path.basename(archive)}${tagged ? `:${tagged}` : ''}` },
  };
}

/** An archive without a repository name is named after its file: `archive/<file name>`. */
function archiveName(archive: string, tag: string | undefined): { name: string; labels: Record<string, string> } {
  const base = path.basename(archive).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'image';
  return { name: `archive/${base}`, labels: { ...hostLabels(), version: tag ?? 'latest' } };
}
