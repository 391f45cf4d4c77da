// Builds OCI image layouts (and their archives) for unit tests: layers from
// tar entries (whiteouts included), gzip-compressed, a config, a manifest
// and index.json. The e2e tests make images with umoci and skopeo instead.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { craftTar, type Entry } from '../unit/image/craft.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface OciLayout {
  /** Member name -> bytes of the layout (oci-layout, index.json, blobs/sha256/...). */
  files: Map<string, Buffer>;
  manifestDigest: string;
  layerDigests: string[];
}

/** `diffIds` replaces the true DiffIDs in the config (to test that they are checked). */
export async function ociLayout(layers: Entry[][], config: Record<string, unknown> = {}, tag = 'v1', diffIds?: string[]): Promise<OciLayout> {
  const files = new Map<string, Buffer>();
  const blob = (b: Buffer) => {
    const d = sha(b);
    files.set(`blobs/sha256/${d.slice(7)}`, b);
    return d;
  };
  // A fixed mtime: the same entries make the same layer (tar-stream would stamp the current time).
  const tars = await Promise.all(layers.map((l) => craftTar(l.map((e) => ({ mtime: new Date(0), ...e })))));
  const layerDescriptors = tars.map((t) => {
    const gz = gzipSync(t);
    return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: blob(gz), size: gz.length };
  });
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: diffIds ?? tars.map(sha) } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: blob(configBytes), size: configBytes.length },
    layers: layerDescriptors,
  }));
  const manifestDigest = blob(manifest);
  files.set('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  files.set('index.json', Buffer.from(JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  })));
  return { files, manifestDigest, layerDigests: layerDescriptors.map((d) => d.digest) };
}

/** The layout as a tar (an oci-archive). */
export const layoutTar = (layout: OciLayout) => craftTar([...layout.files].map(([name, body]) => ({ name, body })));
