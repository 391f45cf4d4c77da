// Reification: what the operator asked for (flags or --pod-manifest) becomes
// one complete pod manifest: every image named by its ID, every app's name
// set and its app object written out with the overrides applied, as rkt did.
// That manifest is stored with the pod and is all the later steps read.
// Its annotations are always written out ([] for none): the metadata service
// serves them as /pod/annotations, and a reader of /pod/manifest must decode
// the same value (appc's ACE validator compares the two in Go, where an
// absent list and [] differ).
import fs from 'node:fs/promises';
import { invalid, SprocketError } from '../errors.js';
import { AcName, parsePodManifest, parseValue, PodManifest, RunnableApp, RunnablePodManifest, type App, type ImageManifest, type Isolator, type RuntimeApp } from '../spec/index.js';
import { ENV_NAME_RULE, isEnvName } from '../spec/patterns.js';
import { checkImageIsolators, NO_GRANTS } from './image-privilege.js';
import type { AppRequest, ImageGrants, PodRequest, SecretRequest } from './request.js';
import { appSecrets, withSecretNames } from './secrets.js';

/** What reification needs of the images: fetch or find them, read their manifests. */
export interface ImageSource {
  /** Image ID of an ID, name, .aci path or URL, fetched into the store if needed. */
  resolve(image: string): Promise<string>;
  manifest(id: string): Promise<ImageManifest>;
}

export const COMMAND_LINE = 'command line';

/** `warn`: told of each implicit volume (withImplicitVolumes). */
export async function reifyPod(request: PodRequest, images: ImageSource, warn: (message: string) => void = () => undefined): Promise<PodManifest> {
  const pod = request.podManifest ? await reifyManifestFile(request.podManifest, images, request.imageGrants ?? NO_GRANTS, request.secrets ?? []) : await reifyFlags(request, images);
  return withImplicitVolumes(pod, warn);
}

/**
 * A reified manifest has every mount point of its apps satisfied by a volume
 * (appc, pods.md): a mount point that no mount fills and no volume of its
 * name serves gets an empty volume of that name (mode 0755, owned by root),
 * which lives and goes with the pod, as rkt did; `warn` says so.
 */
function withImplicitVolumes(pod: PodManifest, warn: (message: string) => void): PodManifest {
  const volumes = [...(pod.volumes ?? [])];
  for (const ra of pod.apps) {
    for (const p of ra.app?.mountPoints ?? []) {
      if (volumes.some((v) => v.name === p.name) || ra.mounts?.some((m) => m.path === p.name || m.path === p.path)) continue;
      volumes.push({ name: p.name, kind: 'empty', mode: '0755', uid: 0, gid: 0 });
      warn(`app ${ra.name}: no volume for mount point ${p.name} (${p.path}): an empty volume ${p.name} is made, removed with the pod (give one with --volume ${p.name},kind=...)`);
    }
  }
  return volumes.length === (pod.volumes?.length ?? 0) ? pod : { ...pod, volumes };
}

async function reifyFlags(request: PodRequest, images: ImageSource): Promise<PodManifest> {
  const apps: RuntimeApp[] = [];
  const podEnv = {
    below: request.inheritedEnv ?? [],
    above: [...(request.setEnvFile ? await readEnvFile(request.setEnvFile) : []), ...request.setEnv],
  };
  for (const [i, req] of request.apps.entries()) {
    const id = await images.resolve(req.image);
    const manifest = await images.manifest(id);
    checkImageRunnable(manifest);
    checkImageIsolators(keptImageIsolators(manifest, req), manifest.name, request.imageGrants ?? NO_GRANTS);
    const name = req.name ?? defaultAppName(manifest.name, i);
    if (apps.some((a) => a.name === name)) {
      throw invalid(`duplicate app "${name}"${req.name ? '' : ` (the default name of image ${manifest.name})`}`, {
        file: COMMAND_LINE, field: `apps[${i}].name`, hint: 'give each app of one image its own name: IMAGE --name NAME',
      });
    }
    const annotations = withSecretNames(req.annotations, appSecrets(request, i), { file: COMMAND_LINE, field: '--annotation' });
    apps.push({
      name,
      image: { id, name: manifest.name, ...(manifest.labels ? { labels: manifest.labels } : {}) },
      app: overrideApp(manifest, req, podEnv, i),
      ...(req.readOnlyRootFS !== undefined ? { readOnlyRootFS: req.readOnlyRootFS } : {}),
      ...(req.mounts.length ? { mounts: req.mounts.map((m) => ({ volume: m.volume, path: m.target })) } : {}),
      ...(annotations ? { annotations } : {}),
    });
  }
  return runnable(parseValue(PodManifest, {
    acKind: 'PodManifest',
    acVersion: '0.8.11',
    apps,
    ...(request.volumes.length ? { volumes: request.volumes } : {}),
    annotations: [],
  }, COMMAND_LINE), COMMAND_LINE);
}

/** An image whose app sprocket cannot run as written (src/spec/runnable.ts) is refused, naming the image and the field. */
function checkImageRunnable(manifest: ImageManifest): void {
  if (manifest.app) parseValue(RunnableApp, manifest.app, `image ${manifest.name}`, ['app']);
}

/** The reified manifest, if sprocket can run what `file` (or the command line) adds to its images. */
function runnable(pod: PodManifest, file: string): PodManifest {
  parseValue(RunnablePodManifest, pod, file);
  return pod;
}

/** The last element of the image name, as rkt: example.com/web -> web. */
function defaultAppName(imageName: string, i: number): string {
  const name = imageName.slice(imageName.lastIndexOf('/') + 1);
  if (!AcName.safeParse(name).success) {
    throw invalid(`"${name}" (from image ${imageName}) is not a valid app name`, { file: COMMAND_LINE, field: `apps[${i}].name`, hint: 'give one with --name' });
  }
  return name;
}

/** Environment of every app: `below` the image's (--inherit-env), `above` it (--set-env-file, then --set-env). */
interface PodEnvironment {
  below: NameValue[];
  above: NameValue[];
}
type NameValue = PodRequest['setEnv'][number];

/**
 * The image's app with the flags applied. Environment, later wins: the CLI's
 * (--inherit-env), the image's, --set-env-file, --set-env, --environment.
 * An isolator flag replaces the image's isolators of its name and of the
 * name it cannot be combined with (retain and remove sets).
 */
function overrideApp(manifest: ImageManifest, req: AppRequest, podEnv: PodEnvironment, i: number): App {
  const base = manifest.app;
  const exec = req.exec !== undefined ? [req.exec] : (base?.exec ?? []);
  if (!exec.length) {
    throw invalid(`image ${manifest.name} has no exec`, { file: COMMAND_LINE, field: `apps[${i}].app.exec`, hint: 'give the command with --exec' });
  }
  const env = new Map<string, string>();
  for (const v of [...podEnv.below, ...(base?.environment ?? []), ...podEnv.above, ...req.environment]) env.set(v.name, v.value);
  const app: App = {
    ...base,
    exec: [...exec, ...req.args],
    user: req.user ?? base?.user ?? '0',
    group: req.group ?? base?.group ?? '0',
    ...(env.size ? { environment: [...env].map(([name, value]) => ({ name, value })) } : {}),
  };
  if (req.workingDir !== undefined) app.workingDirectory = req.workingDir;
  if (req.supplementaryGids) app.supplementaryGIDs = req.supplementaryGids;
  if (req.isolators?.length) app.isolators = [...keptImageIsolators(manifest, req), ...req.isolators];
  if (req.userAnnotations) app.userAnnotations = { ...base?.userAnnotations, ...req.userAnnotations };
  if (req.userLabels) app.userLabels = { ...base?.userLabels, ...req.userLabels };
  return app;
}

/** The image's isolators that no flag replaced. */
function keptImageIsolators(manifest: ImageManifest, req: AppRequest): Isolator[] {
  const replaced = new Set((req.isolators ?? []).flatMap((iso) => [iso.name, PARTNER[iso.name]]));
  return (manifest.app?.isolators ?? []).filter((iso) => !replaced.has(iso.name));
}

/** Isolators that exclude each other: a flag for one replaces the image's other. */
const PARTNER: Record<string, string> = {
  'os/linux/capabilities-retain-set': 'os/linux/capabilities-remove-set',
  'os/linux/capabilities-remove-set': 'os/linux/capabilities-retain-set',
  'os/linux/seccomp-retain-set': 'os/linux/seccomp-remove-set',
  'os/linux/seccomp-remove-set': 'os/linux/seccomp-retain-set',
};

/** --set-env-file: NAME=VALUE lines (as rkt: empty lines and lines starting with # or ; are skipped). */
export async function readEnvFile(file: string): Promise<NameValue[]> {
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new SprocketError(e.code === 'ENOENT' ? 'not-found' : 'io', `cannot read the environment file: ${e.message}`, { file, field: '--set-env-file' });
  });
  const vars: NameValue[] = [];
  for (const [n, line] of text.split('\n').entries()) {
    if (!line.trim() || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw invalid(`expected NAME=VALUE, got "${line}"`, { file, field: `line ${n + 1}` });
    if (!isEnvName(line.slice(0, eq))) throw invalid(`"${line.slice(0, eq)}" is not a variable name (${ENV_NAME_RULE})`, { file, field: `line ${n + 1}` });
    vars.push({ name: line.slice(0, eq), value: line.slice(eq + 1) });
  }
  return vars;
}

/** A pod manifest given with --pod-manifest: images named without ID are looked up; apps without app get the image's; `secrets` (--secret) are every app's. */
async function reifyManifestFile(file: string, images: ImageSource, grants: ImageGrants, secrets: SecretRequest[]): Promise<PodManifest> {
  const bytes = await fs.readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new SprocketError(e.code === 'ENOENT' ? 'not-found' : 'io', `cannot read the pod manifest: ${e.message}`, { file });
  });
  const pod = parsePodManifest(bytes, file);
  if (!pod.apps.length) throw invalid('a pod needs at least one app', { file, field: 'apps' });
  const apps: RuntimeApp[] = [];
  for (const [i, app] of pod.apps.entries()) {
    const ref = app.image.id ?? imageRef(app, file, i);
    const id = await images.resolve(ref).catch((e: unknown) => {
      if (e instanceof SprocketError) throw new SprocketError(e.kind, e.message, { file, field: `apps[${i}].image`, hint: e.hint });
      throw e;
    });
    const manifest = await images.manifest(id);
    // The operator's own app object is the operator's word; the image's app is the image's.
    if (!app.app) {
      checkImageRunnable(manifest);
      checkImageIsolators(manifest.app?.isolators ?? [], manifest.name, grants);
    }
    const resolved = app.app ?? manifest.app;
    if (!resolved?.exec?.length) throw invalid(`neither the app nor image ${manifest.name} has an exec`, { file, field: `apps[${i}].app.exec` });
    const annotations = withSecretNames(app.annotations, secrets, { file, field: `apps[${i}].annotations` });
    apps.push({ ...app, image: { ...app.image, id, name: app.image.name ?? manifest.name }, app: resolved, ...(annotations ? { annotations } : {}) });
  }
  return runnable(parseValue(PodManifest, { ...pod, apps, annotations: pod.annotations ?? [] }, file), file);
}

function imageRef(app: RuntimeApp, file: string, i: number): string {
  if (!app.image.name) throw invalid('an image needs an id or a name', { file, field: `apps[${i}].image` });
  return [app.image.name, ...(app.image.labels ?? []).map((l) => `${l.name}=${l.value}`)].join(',');
}
