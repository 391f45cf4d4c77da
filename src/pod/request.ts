// What the operator asked for on the command line of `run` / `prepare`,
// before images are resolved. reify.ts turns it into a pod manifest.
import { z } from 'zod';
import { PULL_POLICIES } from '../image/pull-policy.js';
import { NetRequest } from '../net/request.js';
import { Annotation, isolatorIn, UserMap } from '../spec/index.js';
import { PodLimitsRequest } from '../../stage1-nspawn/pod-limits.js';

const NameValue = z.object({ name: z.string(), value: z.string() });

/** --secret NAME=FILE: a host file given to apps as a systemd credential (stage1-nspawn/secrets.ts). */
export const SecretRequest = z.object({ name: z.string(), file: z.string() });
export type SecretRequest = z.infer<typeof SecretRequest>;

/** One app group of the command line: IMAGE [app flags] [-- ARGS]. */
export const AppRequest = z.object({
  /** Image ID, name, .aci path or URL, as typed. */
  image: z.string(),
  name: z.string().optional(),
  /** Replaces the image's whole exec (rkt's --exec). */
  exec: z.string().optional(),
  /** Appended to the exec (the words after `--`). */
  args: z.array(z.string()),
  user: z.string().optional(),
  group: z.string().optional(),
  workingDir: z.string().optional(),
  environment: z.array(NameValue),
  mounts: z.array(z.object({ volume: z.string(), target: z.string() })),
  readOnlyRootFS: z.boolean().optional(),
  /** From --memory, --cpu, --caps-retain ...: each replaces the image's isolator of its name. */
  isolators: z.array(isolatorIn('app')).optional(),
  supplementaryGids: z.array(z.number().int().nonnegative()).optional(),
  /** The pod manifest's app annotations (--annotation). */
  annotations: z.array(Annotation).optional(),
  userAnnotations: UserMap.optional(),
  userLabels: UserMap.optional(),
  /** --secret after the image: this app's own; one of a name replaces the pod's. */
  secrets: z.array(SecretRequest).optional(),
});
export type AppRequest = z.infer<typeof AppRequest>;

/** A pod volume as given with --volume (appc Volume fields). */
export const VolumeRequest = z.object({
  name: z.string(),
  kind: z.enum(['host', 'empty']),
  source: z.string().optional(),
  readOnly: z.boolean().optional(),
  recursive: z.boolean().optional(),
  mode: z.string().optional(),
  uid: z.number().int().optional(),
  gid: z.number().int().optional(),
});
export type VolumeRequest = z.infer<typeof VolumeRequest>;

/** What the operator allows images' own isolators to widen: --insecure-options words (seccomp also lifts the default filter). */
export const GRANT_OPTIONS = ['capabilities', 'labels', 'seccomp'] as const;
export const ImageGrants = z.object({ capabilities: z.boolean(), labels: z.boolean(), seccomp: z.boolean() });
export type ImageGrants = z.infer<typeof ImageGrants>;

export const PodRequest = z.object({
  /** A pod manifest file used instead of images and app flags. */
  podManifest: z.string().optional(),
  volumes: z.array(VolumeRequest),
  /** Pod name, unique among live pods. */
  name: z.string().optional(),
  uuidFileSave: z.string().optional(),
  /** Environment given to every app (after the image's own). */
  setEnv: z.array(NameValue),
  /** --set-env-file: NAME=VALUE lines for every app, below --set-env. */
  setEnvFile: z.string().optional(),
  /** --secret before the first image: every app's. */
  secrets: z.array(SecretRequest).optional(),
  /** --inherit-env: the CLI's environment, for every app, below the image's. */
  inheritedEnv: z.array(NameValue).optional(),
  /** --mds-register (default true): register with the metadata service, set AC_METADATA_URL. */
  mdsRegister: z.boolean().optional(),
  /** The network flags (--net, --port, --dns ..., src/net/request.ts). */
  network: NetRequest.optional(),
  /** --insecure-options for images fetched by `run` (as `sprocket fetch`). */
  insecureOptions: z.string().optional(),
  /** --pull-policy for the images named (default new: the store's, else fetched). */
  pullPolicy: z.enum(PULL_POLICIES).optional(),
  /** --insecure-options=paths (or all): sensitive /proc and /sys paths left open to apps. */
  insecurePaths: z.boolean().optional(),
  /** --insecure-options=capabilities, labels, seccomp (or all): images may widen these defaults (src/pod/image-privilege.ts). */
  imageGrants: ImageGrants.optional(),
  /** --strict-isolators: refuse to run unless every isolator is enforced as given. */
  strictIsolators: z.boolean().optional(),
  /** --private-users: yes, the pod runs in a user namespace of its own (its root is not the host's); no: the host's root. */
  privateUsers: z.boolean().optional(),
  /** --tasks-max, --limit-nofile, --log-rate-limit-interval, --log-rate-limit-burst: each replaces its default. */
  limits: PodLimitsRequest.optional(),
  interactive: z.boolean(),
  detach: z.boolean(),
  /** --unit-mode: transient (the pod's own unit, default) or inline (the pod is the calling service's main process, docs/units.md). */
  unitMode: z.enum(['transient', 'inline']).optional(),
  apps: z.array(AppRequest),
});
export type PodRequest = z.infer<typeof PodRequest>;
