// The pod manifest (spec/pods.md): apps with their images, volumes, mounts,
// exposed ports and pod-level isolators.
import { z } from 'zod';
import { AbsolutePath, AcIdentifier, AcName, AcVersion, PodImageId, UserMap, acKindOf } from './identifiers.js';
import { Labels } from './labels.js';
import { Annotations } from './annotations.js';
import { App, Port } from './app.js';
import { isolatorList } from './isolators.js';
import { emptyIsAbsent, foldedKeys, goObject, listSkippingNull } from './go-object.js';
import { uniqueNames } from './unique.js';

/** The image of an app. `id` may be missing in a template (see missingForRun). */
export const RuntimeImage = goObject({
  id: PodImageId.optional(),
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
  mode: emptyIsAbsent(z.string().regex(/^[0-7]{1,4}$/, { error: (i) => `${JSON.stringify(i.input)} is not an octal mode (like 0755)` }).default('0755')),
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
const VOLUME_FIELDS = [...new Set([...Object.keys(EmptyVolume.shape), ...Object.keys(HostVolume.shape)])];

/** A volume: an empty directory owned by the pod, or a directory of the host. Keys match as go-object.ts says. */
export const Volume = z.preprocess((input) => foldedKeys(VOLUME_FIELDS, input), z.discriminatedUnion('kind', [EmptyVolume, HostVolume], {
  error: (i) => (i.code === 'invalid_union' ? `${JSON.stringify((i.input as { kind?: unknown })?.kind)} is not a volume kind (kinds: ${VOLUME_KINDS.join(', ')})` : undefined),
}));
export type Volume = z.infer<typeof Volume>;

/**
 * Mounts a volume (of the pod, or the app's own appVolume) at a path of the
 * app. A volume the pod does not have validates (actool takes it); the pod
 * does not run (src/pod/plan.ts).
 */
export const Mount = goObject({ volume: AcName, path: z.string().min(1, { error: 'the path must not be empty' }), appVolume: Volume.optional() });
export type Mount = z.infer<typeof Mount>;

/** An app of the pod: its name, its image and what overrides the image's app. */
export const RuntimeApp = goObject({
  name: AcName,
  image: RuntimeImage,
  app: App.optional(),
  readOnlyRootFS: z.boolean().optional(),
  mounts: listSkippingNull(Mount).optional(),
  annotations: Annotations.optional(),
});
export type RuntimeApp = z.infer<typeof RuntimeApp>;

/**
 * A port of an app forwarded from the host. hostPort 0 (or none) validates
 * (actool takes it) but does not run (runnable.ts); an empty hostIP is none.
 */
export const ExposedPort = goObject({
  name: AcName,
  hostPort: z.number().refine((n) => Number.isInteger(n) && n >= 0 && n <= 65535, { error: (i) => `${JSON.stringify(i.input)} is not a port number (0..65535)` }).default(0),
  hostIP: emptyIsAbsent(z.ipv4({ error: (i) => `${JSON.stringify(i.input)} is not an IPv4 address (dotted quad)` }).optional()),
  podPort: Port.optional(),
});
export type ExposedPort = z.infer<typeof ExposedPort>;

/**
 * The manifest of a pod. Unknown fields are kept; empty volumes get their
 * defaults; `apps` may be absent or null (none), as actool reads it.
 */
export const PodManifest = goObject({
  acKind: acKindOf('PodManifest'),
  acVersion: AcVersion,
  apps: listSkippingNull(RuntimeApp).superRefine((l, ctx) => uniqueNames(l, ctx, 'app', (a) => a.name)).default([]),
  volumes: z.array(Volume).superRefine((l, ctx) => uniqueNames(l, ctx, 'volume', (v) => v.name)).optional(),
  isolators: isolatorList('pod').optional(),
  annotations: Annotations.optional(),
  ports: listSkippingNull(ExposedPort).optional(),
  userAnnotations: UserMap.optional(),
  userLabels: UserMap.optional(),
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
