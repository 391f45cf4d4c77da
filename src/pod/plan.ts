// The pod plan (stage1-nspawn/plan.ts): the reified pod manifest resolved
// against the image store into what stage1 needs: numeric ids from each
// app's own /etc/passwd and /etc/group, absolute paths, the final
// environment, every mount with its volume. Everything that could stop a pod
// from starting and can be known here is an error here, before any start.
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalid, SprocketError, usage } from '../errors.js';
import type { ImageManifest, Mount, MountPoint, PodManifest, Port, RuntimeApp, Volume } from '../spec/index.js';
import { appEnvironment, appVolumeName, parsePodPlan, RESTART_ANNOTATION, RESTART_DELAY_ANNOTATION, RestartDelay, RestartPolicy, podMachine, podUnit, socketProtocolProblem, type PlanApp, type PlanAppPort, type PlanMount, type PlanVolume, type PodPlan } from '../../stage1-nspawn/plan.js';
import { appIsolation, podIsolation, requireEnforced, type HostSupport } from '../../stage1-nspawn/isolators.js';
import { podLimits, type PodLimitsRequest } from '../../stage1-nspawn/pod-limits.js';
import { readHostSupport } from '../../stage1-nspawn/host-support.js';
import { AppHealth, HEALTH_ANNOTATIONS, HEALTH_VALUES, type HealthKey } from '../../stage1-nspawn/health.js';
import { SHARE_PROCESSES_ANNOTATION } from '../../stage1-nspawn/app-domain.js';
import { DEFAULT_NETWORK, exposedPorts, withNetRequest } from '../net/plan.js';
import type { NetRequest } from '../net/request.js';
import { podPaths } from './dir.js';
import { hostTreeFiles, readDatabase, resolveInTree, type TreeFiles } from './image-tree.js';
import { seccompDefault } from './image-privilege.js';
import type { SecretRequest } from './request.js';
import { checkSecretFiles } from './secrets.js';

/** What the plan needs of the image store. */
export interface PlanImages {
  manifest(id: string): Promise<ImageManifest>;
  treePath(id: string): string;
}

export interface PlanInput {
  uuid: string;
  /** Final pod directory (pods/<uuid>), even while the pod is made elsewhere. */
  podDir: string;
  manifest: PodManifest;
  /** Names the manifest in error messages. */
  source: string;
  /** The network flags (default: the contained network `default`), applied with the manifest's ports (src/net/plan.ts). */
  network?: NetRequest;
  /** --strict-isolators: refuse a pod whose isolators would not all be enforced as given. */
  strictIsolators?: boolean;
  /** --insecure-options=paths: leave the sensitive /proc and /sys paths open to apps. */
  insecurePaths?: boolean;
  /** --insecure-options=seccomp: no default seccomp filter; images' own sets apply as written. */
  insecureSeccomp?: boolean;
  /** --interactive: the one app has the operator's terminal as stdin and stdout. */
  interactive?: boolean;
  /** --tasks-max, --limit-nofile, --log-rate-limit-*: each replaces its default (stage1-nspawn/pod-limits.ts). */
  limits?: PodLimitsRequest;
  /** --unit-mode=inline: the pod runs as the main process of this run of the operator's service. */
  inline?: InlineUnit;
  /** Each app's secrets (--secret; src/pod/secrets.ts, appSecrets), by the app's index; a relative FILE is taken from the current directory. */
  secrets?: SecretRequest[][];
}

/** The operator's service that an inline pod runs in, and which run of it. */
export interface InlineUnit {
  unit: string;
  invocation: string;
}

/** Image or pod annotation by which an app says it sends READY=1 (appc executor annotation). */
export const NOTIFY_ANNOTATION = 'appc.io/executor/supports-systemd-notify';

/**
 * What the plan reads of the host: the files of the image trees and what
 * the host can enforce of the isolators. This host's by default; made-up
 * ones in the start-up snapshot's warm-up (src/cli/snapshot-warm.ts).
 */
export interface PlanHost {
  files: TreeFiles;
  support(): Promise<HostSupport>;
}

const THIS_HOST: PlanHost = { files: hostTreeFiles, support: readHostSupport };

export async function buildPlan(input: PlanInput, images: PlanImages, host: PlanHost = THIS_HOST): Promise<PodPlan> {
  const { manifest, source } = input;
  const volumes = await Promise.all((manifest.volumes ?? []).map((v, i) => planVolume(v, v.name, source, `volumes[${i}]`)));
  const appVolumes = await Promise.all(manifest.apps.flatMap((ra, i) => ownVolumes(ra).map(([m, j]) =>
    planVolume(m.appVolume!, appVolumeName(ra.name, m.volume), source, `apps[${i}].mounts[${j}].appVolume`))));
  const apps: PlanApp[] = [];
  const support = await host.support();
  for (const [i, app] of manifest.apps.entries()) apps.push(await planApp(app, manifest, images, host.files, source, i, support, input.insecureSeccomp ?? false, input.secrets?.[i] ?? []));
  if (input.interactive) {
    if (apps.length !== 1) throw usage(`--interactive needs a pod of exactly one app, not ${apps.length}`, { file: source, field: '--interactive' });
    apps[0]!.interactive = true;
  }
  const plan = withNetRequest(parsePodPlan({
    uuid: input.uuid,
    machine: podMachine(input.uuid),
    unit: input.inline?.unit ?? podUnit(input.uuid),
    ...(input.inline ? { invocation: input.inline.invocation } : {}),
    podDir: input.podDir,
    stage1Root: podPaths(input.podDir).stage1,
    ...DEFAULT_NETWORK,
    apps,
    volumes: [...volumes, ...appVolumes],
    isolators: manifest.isolators ?? [],
    insecurePaths: input.insecurePaths ?? false,
  }, source), input.network ?? {}, { source, exposed: exposedPorts(manifest) });
  plan.isolation = { ...podIsolation(manifest.isolators ?? [], plan.network, support, { file: source, field: 'isolators' }), limits: podLimits(input.limits) };
  if (input.strictIsolators) requireEnforced(plan, source);
  checkSecretFiles(plan);
  return plan;
}

/**
 * The plan of a pod registered with the metadata service: AC_METADATA_URL
 * in every app's environment. Not checked again (buildPlan checked the
 * plan; appEnvironment keeps names unique and the URL is sprocket's own).
 */
export function planWithMetadataUrl(plan: PodPlan, metadataUrl: string): PodPlan {
  return { ...plan, apps: plan.apps.map((a) => ({ ...a, environment: appEnvironment({ app: a.name, image: a.environment, metadataUrl }) })) };
}

/** A volume of the manifest as volume `name` of the plan (a pod volume's own name, or appVolumeName). */
async function planVolume(v: Volume, name: string, source: string, field: string): Promise<PlanVolume> {
  if (v.kind === 'host') {
    const real = await fs.realpath(v.source).catch(() => undefined);
    if (!real) throw invalid(`host path ${v.source} of volume ${v.name} does not exist`, { file: source, field: `${field}.source` });
    // A symbolic link (in any component) may point elsewhere by the time the pod starts: the spec says refuse it.
    if (real !== path.resolve(v.source)) {
      throw invalid(`host path ${v.source} of volume ${v.name} goes through a symbolic link`, { file: source, field: `${field}.source`, hint: `give the path it leads to: ${real}` });
    }
    return { name, kind: 'host', source: v.source, readOnly: v.readOnly ?? false, recursive: v.recursive ?? true };
  }
  return { name, kind: 'empty', readOnly: v.readOnly ?? false, mode: parseInt(v.mode, 8), uid: v.uid, gid: v.gid };
}

/**
 * The mounts of an app that bring their own volume (appVolume), with their
 * index; one per volume name (planMounts refuses two different volumes of
 * one name).
 */
function ownVolumes(ra: RuntimeApp): [Mount, number][] {
  const own = (ra.mounts ?? []).map((m, j) => [m, j] as [Mount, number]).filter(([m]) => m.appVolume);
  return own.filter(([m], k) => own.findIndex(([o]) => o.volume === m.volume) === k);
}

async function planApp(ra: RuntimeApp, pod: PodManifest, images: PlanImages, files: TreeFiles, source: string, i: number, support: HostSupport, insecureSeccomp: boolean, secrets: SecretRequest[]): Promise<PlanApp> {
  const id = ra.image.id!;
  const tree = images.treePath(id);
  const image = await images.manifest(id);
  const app = ra.app ?? image.app;
  const at = (field: string) => ({ file: source, field: `apps[${i}].${field}` });
  const fail = (message: string, field: string, hint?: string) => invalid(`app ${ra.name}: ${message}`, { ...at(field), hint });
  if (!app?.exec?.length) throw fail('no exec', 'app.exec');
  if (!app.exec[0]!.startsWith('/')) throw fail(`exec ${app.exec[0]} is not an absolute path`, 'app.exec[0]');

  const uid = resolveId(files, tree, app.user, 'etc/passwd');
  if (uid === undefined) throw fail(`user ${app.user} is not in the image's /etc/passwd`, 'app.user');
  const gid = resolveId(files, tree, app.group, 'etc/group');
  if (gid === undefined) throw fail(`group ${app.group} is not in the image's /etc/group`, 'app.group');

  const workingDirectory = app.workingDirectory ?? '/';
  const wd = resolveInTree(files, tree, workingDirectory);
  const isDir = wd ? files.lstat(wd)?.isDirectory() : false;
  if (!isDir) throw fail(`working directory ${workingDirectory} does not exist in image ${image.name}`, 'app.workingDirectory');

  const mounts = planMounts(ra, app.mountPoints ?? [], pod, fail);
  const program = app.exec[0]!;
  checkExec(files, tree, program, mounts, (problem) => fail(`exec ${program} ${problem} in image ${image.name}`, 'app.exec[0]',
    ra.app ? 'the app\'s exec (--exec) names a path inside the image, not on the host' : undefined));

  // The pod manifest's annotation of the app wins over the image's.
  const annotation = (name: string) => [...(ra.annotations ?? []), ...(image.annotations ?? [])].find((a) => a.name === name)?.value;
  // A handler without exec runs nothing (spec/aci.md does not require one; actool and rkt take it).
  const handler = (name: 'pre-start' | 'post-stop') => app.eventHandlers?.find((h) => h.name === name && h.exec.length)?.exec;
  const preStart = handler('pre-start');
  const postStop = handler('post-stop');
  const health = healthCheck(annotation, fail);
  if (health) {
    const [check] = health.exec;
    checkExec(files, tree, check!, mounts, (problem) => fail(`health check ${check} ${problem} in image ${image.name}`, 'annotations',
      `the check runs in the app's root: ${HEALTH_ANNOTATIONS.cmd} (--health-cmd) names a program of the image (a line of text runs in its /bin/sh)`));
  }
  return {
    name: ra.name,
    imageId: id,
    tree,
    exec: app.exec,
    uid,
    gid,
    supplementaryGids: app.supplementaryGIDs ?? [],
    workingDirectory,
    environment: appEnvironment({ app: ra.name, image: app.environment }),
    readOnlyRootFS: ra.readOnlyRootFS ?? false,
    interactive: false,
    mounts,
    ...(preStart ? { preStart } : {}),
    ...(postStop ? { postStop } : {}),
    isolators: app.isolators ?? [],
    isolation: appIsolation(app.isolators ?? [], pod.isolators ?? [], support, at('app.isolators'), seccompDefault(app.isolators ?? [], image.app?.isolators ?? [], insecureSeccomp)),
    ports: planPorts(app.ports ?? [], fail),
    notify: annotation(NOTIFY_ANNOTATION) === 'true',
    ...restartPolicy(annotation, fail),
    ...(health ? { health } : {}),
    secrets: secrets.map((s) => ({ name: s.name, source: path.resolve(s.file) })),
    shareProcesses: shareProcesses(ra, image, fail),
  };
}

/**
 * Whether the operator lets the app share its processes with the others
 * (run --share-processes): from the pod manifest's app alone. An image that
 * asks for it is refused, as an image's capabilities beyond the defaults are
 * (image-privilege.ts): an app that may look into the others is the
 * operator's to allow.
 */
function shareProcesses(ra: RuntimeApp, image: ImageManifest, fail: (m: string, f: string) => Error): boolean {
  const value = ra.annotations?.find((a) => a.name === SHARE_PROCESSES_ANNOTATION)?.value;
  if (value === undefined && image.annotations?.some((a) => a.name === SHARE_PROCESSES_ANNOTATION)) {
    throw new SprocketError('untrusted', `app ${ra.name}: image ${image.name} asks for ${SHARE_PROCESSES_ANNOTATION}: an image may not look into the pod's other apps`, {
      file: `image ${image.name}`, field: 'annotations',
      hint: 'let the app share with --share-processes after the image (or the annotation in a --pod-manifest app), or keep it apart with --share-processes=false',
    });
  }
  if (value !== undefined && value !== 'true' && value !== 'false') throw fail(`annotation ${SHARE_PROCESSES_ANNOTATION} must be true or false, not "${value}"`, 'annotations');
  return value === 'true';
}

/** The app's ports; a socket-activated one must be tcp or udp. */
function planPorts(ports: Port[], fail: (m: string, f: string) => Error): PlanAppPort[] {
  return ports.map((p, j) => {
    const problem = p.socketActivated ? socketProtocolProblem(p.protocol) : undefined;
    if (problem) throw fail(`port ${p.name}: ${problem}`, `app.ports[${j}].protocol`);
    return { name: p.name, protocol: p.protocol, port: p.port, count: p.count, socketActivated: p.socketActivated ?? false };
  });
}

/**
 * The app's program must be an executable file of its image, as systemd
 * would exec it, unless a volume is mounted over its path: else the pod
 * would start and its app fail at once (exit status 203).
 */
function checkExec(files: TreeFiles, tree: string, exec: string, mounts: PlanMount[], fail: (problem: string) => Error): void {
  const under = (target: string) => exec === target || exec.startsWith(target.endsWith('/') ? target : `${target}/`);
  if (mounts.some((m) => under(m.target))) return;
  const host = resolveInTree(files, tree, exec);
  const st = host ? files.lstat(host) : undefined;
  if (!st) throw fail('does not exist');
  if (!st.isFile()) throw fail('is not a regular file');
  if ((st.mode & 0o111) === 0) throw fail('is not executable');
}

/** The app's restart policy and delay, from its annotations (run --restart, --restart-delay). */
function restartPolicy(annotation: (name: string) => string | undefined, fail: (m: string, f: string) => Error): Pick<PlanApp, 'restart' | 'restartDelay'> {
  const policy = annotation(RESTART_ANNOTATION) ?? 'no';
  const delay = annotation(RESTART_DELAY_ANNOTATION);
  if (!RestartPolicy.safeParse(policy).success) throw fail(`annotation ${RESTART_ANNOTATION} must be no, on-failure or always, not "${policy}"`, 'annotations');
  if (delay !== undefined && !RestartDelay.safeParse(delay).success) throw fail(`annotation ${RESTART_DELAY_ANNOTATION} must be a time span like 500ms, 2s or 1min, not "${delay}"`, 'annotations');
  return { restart: policy as PlanApp['restart'], ...(delay !== undefined ? { restartDelay: delay } : {}) };
}

/** The app's health check, from its annotations (run --health-*); none without a command. */
function healthCheck(annotation: (name: string) => string | undefined, fail: (m: string, f: string) => Error): AppHealth | undefined {
  const given = Object.entries(HEALTH_ANNOTATIONS).filter(([, name]) => annotation(name) !== undefined);
  if (!given.length) return undefined;
  if (annotation(HEALTH_ANNOTATIONS.cmd) === undefined) throw fail(`annotations ${given.map(([, n]) => n).join(', ')} need a command: ${HEALTH_ANNOTATIONS.cmd} (--health-cmd)`, 'annotations');
  const field = { cmd: 'exec', interval: 'intervalMs', timeout: 'timeoutMs', startPeriod: 'startPeriodMs', retries: 'retries', onFailure: 'onFailure' } as const;
  const health: Record<string, unknown> = {};
  for (const [key, name] of given as [HealthKey, string][]) {
    const r = HEALTH_VALUES[key].safeParse(annotation(name));
    if (!r.success) throw fail(`annotation ${name} ${r.error.issues[0]!.message}, not "${annotation(name)}"`, 'annotations');
    health[field[key]] = r.data;
  }
  return AppHealth.parse(health);
}

/** The app's mounts, then a mount for each of the image's mount points not mounted yet (by a volume of its name). */
function planMounts(ra: RuntimeApp, mountPoints: MountPoint[], pod: PodManifest, fail: (m: string, f: string, h?: string) => Error): PlanMount[] {
  const volume = (name: string) => pod.volumes?.find((v) => v.name === name);
  const mounts: PlanMount[] = [];
  for (const [j, m] of (ra.mounts ?? []).entries()) {
    const v = m.appVolume ?? volume(m.volume);
    if (!v) throw fail(`no volume named ${m.volume}`, `mounts[${j}].volume`);
    if (m.appVolume) checkOwnVolume(ra, j, fail);
    const point = mountPoints.find((p) => p.name === m.path);
    const target = point?.path ?? m.path;
    if (!target.startsWith('/')) throw fail(`mount path ${m.path} is neither absolute nor a mount point of the image`, `mounts[${j}].path`);
    mounts.push({ volume: m.appVolume ? appVolumeName(ra.name, m.volume) : v.name, target, readOnly: Boolean(v.readOnly || point?.readOnly) });
  }
  for (const [j, p] of mountPoints.entries()) {
    if (mounts.some((m) => m.target === p.path) || ra.mounts?.some((m) => m.path === p.name)) continue;
    const v = volume(p.name);
    if (!v) {
      throw fail(`mount point ${p.name} (${p.path}) has no volume`, `app.mountPoints[${j}]`,
        `add a volume named ${p.name}: --volume ${p.name},kind=empty or kind=host,source=PATH`);
    }
    mounts.push({ volume: v.name, target: p.path, readOnly: Boolean(v.readOnly || p.readOnly) });
  }
  refuseOverlaps(mounts, fail);
  return mounts;
}

/** Two mounts of one app on the same target, or one inside the other: which one the app sees depends on their order. */
function refuseOverlaps(mounts: PlanMount[], fail: (m: string, f: string, h?: string) => Error): void {
  const norm = mounts.map((m) => path.posix.normalize(`${m.target}/`));
  norm.forEach((t, j) => {
    const k = norm.findIndex((o, i) => i < j && (o.startsWith(t) || t.startsWith(o)));
    if (k >= 0) {
      throw fail(`mount targets ${mounts[k]!.target} (volume ${mounts[k]!.volume}) and ${mounts[j]!.target} (volume ${mounts[j]!.volume}) overlap`, `mounts`,
        'mount each volume on a target of its own, none inside another');
    }
  });
}

/** Mount j's appVolume is named as the mount says, and is the only volume of the app by that name. */
function checkOwnVolume(ra: RuntimeApp, j: number, fail: (m: string, f: string) => Error): void {
  const m = ra.mounts![j]!;
  if (m.appVolume!.name !== m.volume) throw fail(`mount of volume ${m.volume} brings an appVolume named ${m.appVolume!.name}`, `mounts[${j}].appVolume.name`);
  const first = ra.mounts!.find((o) => o.appVolume && o.volume === m.volume)!;
  if (JSON.stringify(first.appVolume) !== JSON.stringify(m.appVolume)) {
    throw fail(`two different appVolumes named ${m.volume}`, `mounts[${j}].appVolume`);
  }
}

/**
 * A user or group as a number: digits as is, an absolute path by its owner
 * in the tree, a name from the tree's etc/passwd or etc/group (third field).
 */
function resolveId(files: TreeFiles, tree: string, who: string, database: 'etc/passwd' | 'etc/group'): number | undefined {
  if (/^\d+$/.test(who)) return Number(who);
  if (who.startsWith('/')) {
    const host = resolveInTree(files, tree, who);
    const st = host ? files.lstat(host) : undefined;
    if (!st) return undefined;
    return database === 'etc/passwd' ? st.uid : st.gid;
  }
  const entry = readDatabase(files, tree, database).find((f) => f[0] === who);
  const id = entry?.[2];
  return id !== undefined && /^\d+$/.test(id) ? Number(id) : undefined;
}
