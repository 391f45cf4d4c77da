// `sprocket fetch docker://...`: the registry's manifest for the reference,
// resolved to this host's platform, then the image imported as layer images
// and an app image (import.ts). With --pull-policy the store is asked first:
// `new` takes a stored image of that reference, `update` asks the registry
// for the manifest and downloads nothing when its digest is the stored one.
import { SprocketError } from '../../errors.js';
import type { ImageId } from '../../spec/index.js';
import type { ImageStore } from '../store.js';
import { registryCertificates, registryCredentials } from '../credentials.js';
import type { Transport } from '../http.js';
import type { ConfigDirs } from '../trust.js';
import { hostLabels } from '../discovery.js';
import { importOciImage, ORIGIN, type OciStore, type Progress } from './import.js';
import { choosePlatform, parseManifest } from './manifest.js';
import { canonicalReference, dockerImageName, parseDockerReference, type DockerReference } from './reference.js';
import { RegistryClient } from './registry.js';
import { MANIFEST_ACCEPT } from './schema.js';
import type { PullPolicy } from '../pull-policy.js';



export interface PullOptions {
  store: OciStore & Pick<ImageStore, 'list'>;
  config: ConfigDirs;
  transport: Transport;
  policy: PullPolicy;
  progress: Progress;
}

export async function pullDockerImage(text: string, opts: PullOptions): Promise<ImageId> {
  const ref = parseDockerReference(text);
  const stored = await storedReference(ref, opts.store);
  if (stored && opts.policy !== 'update') return stored.id;
  if (opts.policy === 'never') {
    throw new SprocketError('not-found', `no image ${canonicalReference(ref)} in the store`, { hint: 'fetch it, or use --pull-policy=new' });
  }
  const transport: Transport = { ...opts.transport, extraCa: await registryCertificates(opts.config, ref.registry) };
  const client = new RegistryClient(ref.registry, ref.repository, transport, await registryCredentials(opts.config, ref.registry));
  const source = canonicalReference(ref);
  let first = await client.manifest(ref.digest ?? ref.tag!, MANIFEST_ACCEPT);
  let parsed = parseManifest(first.body, first.mediaType, source);
  let indexDigest: string | undefined;
  if (parsed.kind === 'index') {
    indexDigest = first.digest;
    first = await client.manifest(choosePlatform(parsed.index, source).digest, MANIFEST_ACCEPT);
    parsed = parseManifest(first.body, first.mediaType, source);
    if (parsed.kind !== 'image') throw new SprocketError('invalid', 'an index entry is itself an index', { file: source });
  }
  if (stored && stored.manifestDigest === first.digest) {
    opts.progress(`${source}: up to date (${first.digest})`);
    return stored.id;
  }
  const labels: Record<string, string> = { ...hostLabels(), ...(ref.tag ? { version: ref.tag } : {}) };
  return importOciImage(client, {
    manifest: parsed.manifest,
    name: dockerImageName(ref),
    labels,
    origin: { [ORIGIN.reference]: source, [ORIGIN.manifestDigest]: first.digest, ...(indexDigest ? { [ORIGIN.indexDigest]: indexDigest } : {}) },
  }, opts.store, opts.progress);
}

/** The newest stored image fetched for this reference: same name, and the tag or digest. */
async function storedReference(ref: DockerReference, store: PullOptions['store']): Promise<{ id: ImageId; manifestDigest?: string } | undefined> {
  const name = dockerImageName(ref);
  const annotation = (m: { annotations?: { name: string; value: string }[] }, n: string) => m.annotations?.find((a) => a.name === n)?.value;
  const matches = (await store.list()).images.filter(({ manifest: m }) => {
    if (m.name !== name) return false;
    if (ref.digest) return annotation(m, ORIGIN.manifestDigest) === ref.digest || annotation(m, ORIGIN.indexDigest) === ref.digest;
    return m.labels?.some((l) => l.name === 'version' && l.value === ref.tag) ?? false;
  });
  const newest = matches.sort((a, b) => b.info.importedAt.localeCompare(a.info.importedAt))[0];
  return newest && { id: newest.id, manifestDigest: annotation(newest.manifest, ORIGIN.manifestDigest) };
}
