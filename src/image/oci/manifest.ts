// From the first manifest a registry or an archive gives to the image
// manifest of this host's platform: an OCI index or a Docker manifest list
// is resolved to its linux entry for the host's architecture.
import { invalid } from '../../errors.js';
import { parseJson } from '../../spec/issues.js';
import { ImageIndex, ImageManifestOci, MEDIA, type Descriptor } from './schema.js';

/** The host's architecture as OCI spells it (GOARCH). */
export const hostOciArch = (): string => ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' })[process.arch as string] ?? process.arch;

export type ParsedManifest = { kind: 'index'; index: ImageIndex } | { kind: 'image'; manifest: ImageManifestOci };

/** Tells an index from an image manifest by media type, or by shape when the type is missing. */
export function parseManifest(body: Buffer, mediaType: string, source: string): ParsedManifest {
  const shape = (() => {
    try {
      return JSON.parse(body.toString('utf8')) as { mediaType?: string; manifests?: unknown; layers?: unknown };
    } catch {
      throw invalid('the manifest is not valid JSON', { file: source });
    }
  })();
  const type = shape.mediaType ?? mediaType;
  if (type === MEDIA.ociIndex || type === MEDIA.dockerList || (!type && shape.manifests)) return { kind: 'index', index: parseJson(ImageIndex, body, source) };
  if (type === MEDIA.ociManifest || type === MEDIA.dockerManifest || (!type && shape.layers)) return { kind: 'image', manifest: parseJson(ImageManifestOci, body, source) };
  throw invalid(`unsupported manifest media type ${JSON.stringify(type)} (sprocket reads OCI and Docker schema 2 manifests)`, { file: source, field: 'mediaType' });
}

/** The entry of an index for linux and this host's architecture. */
export function choosePlatform(index: ImageIndex, source: string): Descriptor {
  const arch = hostOciArch();
  const fits = index.manifests.filter((m) => m.platform?.os === 'linux' && m.platform.architecture === arch);
  const chosen = fits[0] ?? (index.manifests.length === 1 && !index.manifests[0]!.platform ? index.manifests[0] : undefined);
  if (!chosen) {
    const offered = index.manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : 'unknown')).join(', ');
    throw invalid(`no image for linux/${arch} in the index (it offers ${offered || 'nothing'})`, { file: source, field: 'manifests' });
  }
  return chosen;
}
