// The OCI image format (image-spec: index, manifest, config) and Docker's
// schema 2 twins (manifest list, manifest), as far as sprocket reads them.
// Docker's media types differ, their JSON shape is the same.
import { z } from 'zod';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

/** What a registry is asked for: every manifest kind sprocket reads. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

export const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: (i) => `${JSON.stringify(i.input)} is not a sha256 digest (only sha256 is supported)` });
export type Digest = z.infer<typeof Digest>;

export const Descriptor = z.looseObject({
  mediaType: z.string(),
  digest: Digest,
  size: z.number().int().nonnegative(),
  platform: z.looseObject({ architecture: z.string(), os: z.string(), variant: z.string().optional() }).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Descriptor = z.infer<typeof Descriptor>;

/** An OCI index or a Docker manifest list. */
export const ImageIndex = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(Descriptor),
});
export type ImageIndex = z.infer<typeof ImageIndex>;

/** An OCI image manifest or a Docker schema 2 manifest. */
export const ImageManifestOci = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
});
export type ImageManifestOci = z.infer<typeof ImageManifestOci>;

const stringMap = z.record(z.string(), z.string()).nullish();
const emptyObjects = z.record(z.string(), z.unknown()).nullish();

export const ImageConfig = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  config: z
    .looseObject({
      User: z.string().optional(),
      ExposedPorts: emptyObjects,
      Env: z.array(z.string()).nullish(),
      Entrypoint: z.array(z.string()).nullish(),
      Cmd: z.array(z.string()).nullish(),
      Volumes: emptyObjects,
      WorkingDir: z.string().optional(),
      Labels: stringMap,
    })
    .nullish(),
  rootfs: z.looseObject({ type: z.literal('layers'), diff_ids: z.array(Digest) }),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

/** How a layer of this media type is compressed (OCI and Docker names); undefined for one sprocket cannot read. */
export function layerCompression(mediaType: string): 'gzip' | 'tar' | 'zstd' | undefined {
  if (/tar\+gzip$|rootfs\.diff\.tar\.gzip$/.test(mediaType)) return 'gzip';
  if (/tar\+zstd$/.test(mediaType)) return 'zstd';
  if (/layer\.v1\.tar$|rootfs\.diff\.tar$/.test(mediaType)) return 'tar';
  return undefined;
}
