// The pod manifest (spec/pods.md): apps with their images, volumes, mounts,
// exposed ports and pod-level isolators.
import { z } from 'zod';
import { AbsolutePath, AcIdentifier, AcName, AcVersion, ImageId, UserMap, acKindOf } from './identifiers.js';
import { Labels } from './labels.js';
import { Annotations } from './annotations.js';
import { App, Port } from './app.js';
import { isolatorList } from './isolators.js';
import { uniqueNames } from './unique.js';

/** The image of an app. `id` may be missing in a template (see missingForRun). */
export const RuntimeImage = z.looseObject({
  id: ImageId.optional(),
  name: AcIdentifier.optional(),
  labels: Labels.optional(),
});
export type RuntimeImage = z.infer<typeof RuntimeImage>;

const only = (kind: string) => z.undefined({ error: `only a volume of kind ${kind} may have this` }).optional();

const EmptyVolume = z.looseObject({
  name: AcName,
  kind: z.literal('empty'),
  readOnly: z.boolean().optional(),
  source: only('host'),
  recursive: z.boolean().optional(),
  mode: z.string().regex(/^[0-7]{1,4}$/, { error: (i) => `${JSON.stringify(i.input)} is not an octal mode (like 0755)` }).default('0755'),
  uid: z.number().int().nonnegative({ error: 'a user ID cannot be negative' }).default(0),
  gid: z.number().int().nonnegative({ error: 'a group ID cannot be negative' }).default(0),
});
const HostVolume = z.looseObject({
  name: AcName,
  kind: z.literal('host'),
  readOnly: z.boolean().optional(),
  source: AbsolutePath,
  recursive: z.boolean().optional(),
  mode: only('empty'),
  uid: only('empty'),
  gid: only('empty'),
});
const VOLUME_KINDS = ['empty', 'host'];

/** A volume: an empty directory owned by the pod, or a directory of the host. */
export const Volume = z.discriminatedUnion('kind', [EmptyVolume, HostVolume], {
  error: (i) => (i.code === 'invalid_union' ? `${JSON.stringify((i.input as { kind?: unknown })?.kind)} is not a volume kind (kinds: ${VOLUME_KINDS.join(', ')})` : undefined),
});
export type Volume = z.infer<typeof Volume>;

/** Mounts a volume (of the pod, or the app's own appVolume) at a path of the app. */
export const Mount = z.looseObject({ volume: AcName, path: z.string().min(1, { error: 'the path must not be empty' }), appVolume: Volume.optional() });
export type Mount = z.infer<typeof Mount>;

/** An app of the pod: its name, its image and what overrides the image's app. */
export const RuntimeApp = z.looseObject({
  name: AcName,
  image: RuntimeImage,
  app: App.optional(),
  readOnlyRootFS: z.boolean().optional(),
  mounts: z.array(Mount).optional(),
  annotations: Annotations.optional(),
});
export type RuntimeApp = z.infer<typeof RuntimeApp>;

/** A port of an app forwarded from the host. */
export const ExposedPort = z.looseObject({
  name: AcName,
  hostPort: z.number().refine((n) => Number.isInteger(n) && n >= 1 && n <= 65535, { error: (i) => `${JSON.stringify(i.input)} is not a port number (1..65535)` }),
  hostIP: z.ipv4({ error: (i) => `${JSON.stringify(i.input)} is not an IPv4 address (dotted quad)` }).optional(),
  podPort: Port.optional(),
});
export type ExposedPort = z.infer<typeof ExposedPort>;

/** The manifest of a pod. Unknown fields are kept; empty volumes get their defaults. */
export const PodManifest = z
  .looseObject({
    acKind: acKindOf('PodManifest'),
    acVersion: AcVersion,
    apps: z.array(RuntimeApp).superRefine((l, ctx) => uniqueNames(l, ctx, 'app', (a) => a.name)),
    volumes: z.array(Volume).superRefine((l, ctx) => uniqueNames(l, ctx, 'volume', (v) => v.name)).optional(),
    isolators: isolatorList('pod').optional(),
    annotations: Annotations.optional(),
    ports: z.array(ExposedPort).optional(),
    userAnnotations: UserMap.optional(),
    userLabels: UserMap.optional(),
  })
  .superRefine((pod, ctx) => {
    const volumes = new Set(pod.volumes?.map((v) => v.name));
    pod.apps.forEach((app, a) =>
      app.mounts?.forEach((m, i) => {
        if (!m.appVolume && !volumes.has(m.volume)) {
          ctx.addIssue({ code: 'custom', path: ['apps', a, 'mounts', i, 'volume'], input: m.volume, message: `no volume named ${JSON.stringify(m.volume)} in volumes` });
        }
      }),
    );
  });
export type PodManifest = z.infer<typeof PodManifest>;

/**
 * What a pod manifest lacks to be run, as `path: reason` lines (empty when
 * it can run). A pod template parses, but its apps may name images by
 * name and labels only.
 */
export function missingForRun(pod: PodManifest): string[] {
  const missing = pod.apps.length === 0 ? ['apps: a pod needs at least one app'] : [];
  pod.apps.forEach((app, i) => {
    if (!app.image.id) missing.push(`apps[${i}].image.id: missing image ID`);
  });
  return missing;
}
