// The pod plan: everything stage1 needs to run one pod, fully resolved
// (numeric ids, absolute paths, final environment). src/pod builds it from
// the reified pod manifest and the image store and persists it as
// pods/<uuid>/plan.json; the stage1 root writer, the unit generator and the
// nspawn argv builder read nothing else. Values end up in unit files and
// mount options, so the schema refuses what those formats cannot carry.
import { z } from 'zod';
import { invalid } from '../src/errors.js';
import { ENV_NAME, ENV_NAME_RULE, SECRET_NAME, SECRET_NAME_RULE, UUID } from '../src/spec/patterns.js';
import { AppHealth } from './health.js';
import { AppIsolation, PodIsolation } from './isolators.js';
import { CREDENTIAL_NAME_MAX, podCredential } from './secrets.js';

/** PATH of an app whose image and flags do not set one (appc execution environment). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// Control characters (NUL, newline ...) cannot be carried by unit files,
// nspawn's --bind= or overlay options.
const noControl = (s: string) => !/[\x00-\x1f\x7f]/.test(s);

/** An absolute, normalised path without control characters. */
export const AbsolutePath = z
  .string()
  .refine((p) => p.startsWith('/'), 'must be an absolute path')
  .refine(noControl, 'must not contain control characters')
  .refine((p) => !p.split('/').some((c) => c === '.' || c === '..'), 'must not contain . or .. components');

/** appc AC Name as used for app and volume names: they become unit and directory names. */
export const PlanName = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be an AC Name (lowercase letters, digits, single dashes)');

const Id = z.number().int().min(0).max(0xfffffffe);

/**
 * A volume of the plan: a pod volume by its AC Name, or an app's own
 * (appVolume of a mount) as "<app>/<volume>": AC Names hold no '/', so the
 * two can never clash.
 */
export const PlanVolumeName = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*(\/[a-z0-9]+(-[a-z0-9]+)*)?$/, 'must be an AC Name, or <app>/<AC Name> for an app\'s own volume');

/** The plan's name of app `app`'s own volume `volume`. */
export const appVolumeName = (app: string, volume: string) => `${app}/${volume}`;
/** The app that owns a volume of the plan, undefined for a pod volume. */
export const volumeOwner = (name: string): string | undefined => (name.includes('/') ? name.split('/')[0] : undefined);
/**
 * Where a volume lives, relative to the pod directory on the host (empty
 * volumes) and to /sprocket inside the pod (the bind nspawn makes): pod
 * volumes in volumes/<name>, an app's own in app-volumes/<app>/<name>.
 */
export const volumeDir = (name: string) => (volumeOwner(name) ? `app-volumes/${name}` : `volumes/${name}`);

/** A command line: argv[0] is an absolute path inside the app's root. */
export const ExecArgv = z.array(z.string().refine((a) => !a.includes('\0'), 'must not contain NUL')).min(1).refine((a) => a[0]!.startsWith('/'), 'argv[0] must be an absolute path');

/** One environment variable; names are what systemd accepts in Environment=. */
export const EnvironmentVariable = z.object({
  name: z.string().regex(ENV_NAME, `must be an environment variable name (${ENV_NAME_RULE})`),
  value: z.string().refine((v) => !v.includes('\0'), 'must not contain NUL'),
});
export type EnvironmentVariable = z.infer<typeof EnvironmentVariable>;

/** appc isolator, kept as given; `isolation` holds what they became (isolators.ts). */
export const PlanIsolator = z.looseObject({ name: z.string(), value: z.unknown() });

export const PlanMount = z.object({
  /** Name of a volume of the plan (an app may mount its own volumes and the pod's). */
  volume: PlanVolumeName,
  /** Mount point inside the app's root. */
  target: AbsolutePath,
  /** Already combined: the volume's readOnly or the mount's. */
  readOnly: z.boolean(),
});
export type PlanMount = z.infer<typeof PlanMount>;

/** App annotations of a pod manifest (or image) for the app's restart policy (run --restart, --restart-delay). */
export const RESTART_ANNOTATION = 'sprocket.dev/restart';
export const RESTART_DELAY_ANNOTATION = 'sprocket.dev/restart-delay';

/** An app's restart policy inside its pod (run --restart, docs/units.md). */
export const RestartPolicy = z.enum(['no', 'on-failure', 'always']);
/** A systemd time span for RestartSec=: 500ms, 2s, 1min, 1h (a number alone is seconds). */
export const RestartDelay = z.string().regex(/^\d+(\.\d+)?(ms|s|min|h)?$/, 'must be a time span like 500ms, 2s or 1min');
/** The protocols a socket-activated port may have: the pod's systemd listens on tcp (stream) and udp (datagram). */
export const SOCKET_PROTOCOLS = ['tcp', 'udp'];
export const socketProtocolProblem = (protocol: string) =>
  (SOCKET_PROTOCOLS.includes(protocol.toLowerCase()) ? undefined : `a socket-activated port must be tcp or udp, not "${protocol}"`);
/** A port an app declares (image manifest app.ports), kept for publishing (run-prepared --port too). */
export const PlanAppPort = z.object({
  name: PlanName,
  protocol: z.string(),
  port: z.number().int().min(1).max(65535),
  count: z.number().int().min(1).max(65535).default(1),
  /** The pod's systemd listens and starts the app on the first connection (stage1-nspawn/app-socket.ts). */
  socketActivated: z.boolean().default(false),
}).superRefine((p, ctx) => {
  const problem = p.socketActivated ? socketProtocolProblem(p.protocol) : undefined;
  if (problem) ctx.addIssue({ code: 'custom', path: ['protocol'], message: problem });
});
export type PlanAppPort = z.infer<typeof PlanAppPort>;

/** A secret of an app (run --secret, secrets.ts): the host file nspawn reads when the pod starts, and its name for the app. */
export const PlanSecret = z.object({
  name: z.string().regex(SECRET_NAME, `must be a secret name (${SECRET_NAME_RULE})`),
  source: AbsolutePath,
});
export type PlanSecret = z.infer<typeof PlanSecret>;

export const PlanApp = z.object({
  name: PlanName,
  imageId: z.string(),
  /** Rendered, read-only image tree (store.treePath): the overlay's lower dir. */
  tree: AbsolutePath,
  exec: ExecArgv,
  uid: Id,
  gid: Id,
  supplementaryGids: z.array(Id).default([]),
  workingDirectory: AbsolutePath.default('/'),
  /** Final environment in order, names unique (see appEnvironment). */
  environment: z.array(EnvironmentVariable).refine((e) => new Set(e.map((v) => v.name)).size === e.length, 'names must be unique'),
  readOnlyRootFS: z.boolean().default(false),
  mounts: z.array(PlanMount).default([]),
  /** appc event handlers, run in the app's root with its user and environment. */
  preStart: ExecArgv.optional(),
  postStop: ExecArgv.optional(),
  isolators: z.array(PlanIsolator).default([]),
  /** The isolators resolved into unit directives, with the outcome of each (appIsolation). */
  isolation: AppIsolation.prefault({}),
  /** Type=notify: the app says READY=1 (annotation appc.io/executor/supports-systemd-notify). */
  notify: z.boolean().default(false),
  /** run --interactive: the pod's console (the operator's terminal) is the app's stdin, stdout and stderr. */
  interactive: z.boolean().default(false),
  /** When the pod's systemd starts the app again (Restart= of its unit; annotation sprocket.dev/restart). */
  restart: RestartPolicy.default('no'),
  /** RestartSec= of its unit (annotation sprocket.dev/restart-delay). */
  restartDelay: RestartDelay.optional(),
  /** A check run by the pod's systemd at an interval (annotations sprocket.dev/health-*, stage1-nspawn/health.ts). */
  health: AppHealth.optional(),
  /** The ports the app declares (image manifest or pod manifest app), by name. */
  ports: z.array(PlanAppPort).default([]),
  /** Files of the host given to the app as systemd credentials ($CREDENTIALS_DIRECTORY/NAME), by path: no value is in the plan. */
  secrets: z.array(PlanSecret).refine((s) => new Set(s.map((x) => x.name)).size === s.length, 'names must be unique').default([]),
  /**
   * The operator lets the app share (run --share-processes; annotation
   * sprocket.dev/share-processes of the pod manifest's app): it runs outside
   * a Landlock domain of its own, as the pod's own processes do; else it is
   * kept apart from the other apps (app-domain.ts).
   */
  shareProcesses: z.boolean().default(false),
});
export type PlanApp = z.infer<typeof PlanApp>;

/** Octal permission bits, like appc's "0755". */
const Mode = z.number().int().min(0).max(0o7777);

export const PlanVolume = z.discriminatedUnion('kind', [
  z.object({
    name: PlanVolumeName,
    kind: z.literal('host'),
    /** Directory or file on the host, bound into the pod. */
    source: AbsolutePath,
    readOnly: z.boolean().default(false),
    /** Also bind the mounts below source (rbind); false binds source alone. */
    recursive: z.boolean().default(true),
  }),
  z.object({
    name: PlanVolumeName,
    kind: z.literal('empty'),
    readOnly: z.boolean().default(false),
    /** Created as pods/<uuid>/<volumeDir(name)> with these. */
    mode: Mode.default(0o755),
    uid: Id.default(0),
    gid: Id.default(0),
  }),
]);
export type PlanVolume = z.infer<typeof PlanVolume>;

/** systemd's ID of one run of a unit: 32 lowercase hex digits. */
export const InvocationId = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits');
/** A CNI network name (CNI spec); host and none are --net modes, not networks. */
export const NetworkName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a CNI network name (letters, digits, _ . -, starting with a letter or digit)')
  .refine((n) => n !== 'host' && n !== 'none', 'host and none are --net modes, not network names');

/** One network of a contained pod, with the CNI_ARGS given for it (--net=NAME:K=V;K=V). */
export const PlanNetwork = z.object({
  name: NetworkName,
  args: z.array(z.tuple([z.string().regex(/^[^=;\0]+$/, 'must be a CNI_ARGS key'), z.string().regex(/^[^;\0]*$/, 'must be a CNI_ARGS value')])).default([]),
});
export type PlanNetwork = z.infer<typeof PlanNetwork>;

export const IpAddress = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });
/** A host name or one label of it (RFC 1123). */
export const HostName = z.string().max(253).regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, 'must be a host name (letters, digits, dashes, dots)');
const Port = z.number().int().min(1).max(65535);

/** A published port: host (hostIP:)hostPort forwarded to podPort of the pod's address (CNI portmap). */
export const PlanPort = z.object({
  /** The app port's name, as declared by its image or pod manifest. */
  name: PlanName,
  protocol: z.enum(['tcp', 'udp']),
  podPort: Port,
  hostPort: Port,
  /** Absent: every address of the host, 127.0.0.1 included. */
  hostIP: z.ipv4().optional(),
});
export type PlanPort = z.infer<typeof PlanPort>;

/**
 * The pod's /etc/resolv.conf. auto: what the host resolves with (host: the
 * host's file; upstream: systemd-resolved's upstream servers instead of its
 * 127.0.0.53 stub, which a pod of its own network cannot reach); none: the
 * image's own file; given: servers (--dns IP). search and options are added.
 */
export const DnsOption = z.string().regex(/^[A-Za-z0-9_:.-]+$/, 'must be a resolv.conf option (like ndots:2)');
export const HostsEntry = z.object({ ip: IpAddress, name: HostName });

export const PlanDns = z.object({
  mode: z.enum(['auto', 'host', 'none', 'given']).default('auto'),
  servers: z.array(IpAddress).default([]),
  search: z.array(HostName).default([]),
  options: z.array(DnsOption).default([]),
});
export type PlanDns = z.infer<typeof PlanDns>;

/** The pod's /etc/hosts: localhost, the pod's host name, the entries; fromHost: the host's file instead of the localhost lines. */
export const PlanHosts = z.object({
  fromHost: z.boolean().default(false),
  entries: z.array(HostsEntry).default([]),
});
export type PlanHosts = z.infer<typeof PlanHosts>;

const Uuid = z.string().regex(UUID, 'must be a lowercase UUID');

/** The uids and gids of a pod's user namespace: 65536 of the host's from `base` on (uid 0 inside is `base` outside). */
export const UID_RANGE_SIZE = 0x10000;
export const UidRange = z.object({
  base: z.number().int().min(UID_RANGE_SIZE).max(0xfffe0000).refine((b) => b % UID_RANGE_SIZE === 0, 'must be a multiple of 65536'),
  size: z.literal(UID_RANGE_SIZE),
});
export type UidRange = z.infer<typeof UidRange>;

export const PodPlan = z
  .object({
    uuid: Uuid,
    /** systemd-machined name: sprocket-<uuid>. */
    machine: z.string(),
    /** Host unit: sprocket-<uuid>.service, or the operator's service of an inline pod. */
    unit: z.string(),
    /**
     * An inline pod (run --unit-mode=inline, docs/units.md) is the main
     * process of the operator's service `unit`: that run's invocation ID
     * ($INVOCATION_ID) tells it from the unit's earlier and later pods.
     */
    invocation: InvocationId.optional(),
    /** pods/<uuid> */
    podDir: AbsolutePath,
    /** pods/<uuid>/stage1 */
    stage1Root: AbsolutePath,
    /**
     * host: the pod shares the host's network; none: a network namespace with
     * loopback only; contained: a network namespace joined to the CNI
     * networks (src/net, docs/networking.md).
     */
    network: z.enum(['host', 'none', 'contained']).default('host'),
    /** contained: the CNI networks, in order (eth0, eth1 ...). */
    networks: z.array(PlanNetwork).default([]),
    /** contained: ports published on the host. */
    ports: z.array(PlanPort).default([]),
    /**
     * An inline pod's socket-activated ports published by its service's
     * socket (docs/units.md): the pod's socket units listen on these host
     * addresses, so that the sockets the service passes in match them.
     */
    hostSockets: z.array(PlanPort).default([]),
    dns: PlanDns.prefault({}),
    hosts: PlanHosts.prefault({}),
    /** The pod's host name (default podHostname(uuid)). */
    hostname: HostName.optional(),
    apps: z.array(PlanApp).min(1),
    volumes: z.array(PlanVolume).default([]),
    /** Pod-level isolators, kept as given. */
    isolators: z.array(PlanIsolator).default([]),
    /** Pod-level isolators resolved: host unit properties, sysctls (podIsolation). */
    isolation: PodIsolation.prefault({}),
    /** --insecure-options=paths: apps see /proc and /sys without the sensitive paths made read-only or hidden. */
    insecurePaths: z.boolean().default(false),
    /**
     * The pod's user namespace (src/pod/uid-range.ts): its root is `base` on
     * the host. Absent (--private-users=no): the pod's root is the host's.
     */
    privateUsers: UidRange.optional(),
  })
  .superRefine((plan, ctx) => {
    const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (plan.machine !== podMachine(plan.uuid)) fail(['machine'], `must be ${podMachine(plan.uuid)}`);
    if (plan.invocation === undefined && plan.unit !== podUnit(plan.uuid)) fail(['unit'], `must be ${podUnit(plan.uuid)}`);
    if (plan.invocation !== undefined && !/^[^/\s]+\.service$/.test(plan.unit)) fail(['unit'], 'must be a service name');
    if ((plan.network === 'contained') !== (plan.networks.length > 0)) fail(['networks'], 'a contained pod needs networks, and only it');
    if (plan.ports.length && plan.network !== 'contained') fail(['ports'], `ports are published from a contained pod's network, not from network ${plan.network}`);
    if (plan.hostSockets.length && plan.invocation === undefined) fail(['hostSockets'], 'only an inline pod is given sockets by its service');
    const apps = new Set<string>();
    plan.apps.forEach((a, i) => {
      if (apps.has(a.name)) fail(['apps', i, 'name'], `app name ${a.name} is used twice`);
      apps.add(a.name);
      a.secrets.forEach((s, j) => {
        if (podCredential(a.name, s.name).length > CREDENTIAL_NAME_MAX) fail(['apps', i, 'secrets', j, 'name'], `app name and secret name together must be at most ${CREDENTIAL_NAME_MAX - 1} characters`);
      });
    });
    const volumes = new Set<string>();
    plan.volumes.forEach((v, i) => {
      if (volumes.has(v.name)) fail(['volumes', i, 'name'], `volume name ${v.name} is used twice`);
      volumes.add(v.name);
      const owner = volumeOwner(v.name);
      if (owner !== undefined && !apps.has(owner)) fail(['volumes', i, 'name'], `no app named ${owner} for its own volume ${v.name}`);
    });
    plan.apps.forEach((a, i) =>
      a.mounts.forEach((m, j) => {
        if (!volumes.has(m.volume)) fail(['apps', i, 'mounts', j, 'volume'], `no volume named ${m.volume}`);
        const owner = volumeOwner(m.volume);
        if (owner !== undefined && owner !== a.name) fail(['apps', i, 'mounts', j, 'volume'], `volume ${m.volume} is app ${owner}'s own`);
      }),
    );
  });
export type PodPlan = z.infer<typeof PodPlan>;

export const podMachine = (uuid: string) => `sprocket-${uuid}`;
export const podUnit = (uuid: string) => `sprocket-${uuid}.service`;
/** The default host name of a pod (rkt: rkt-<uuid>). */
export const podHostname = (uuid: string) => `sprocket-${uuid}`;
/** The network namespace of a contained pod (made by src/net with `ip netns add`). */
export const podNetnsPath = (uuid: string) => `/run/netns/sprocket-${uuid}`;
/** The host name a plan gives its pod. */
export const planHostname = (plan: Pick<PodPlan, 'uuid' | 'hostname'>) => plan.hostname ?? podHostname(plan.uuid);

/** Validates a plan (from plan.json or built in memory); errors name the field. */
export function parsePodPlan(input: unknown, file = 'plan.json'): PodPlan {
  const r = PodPlan.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw invalid(issue.message, { file, field: issue.path.join('.') });
  }
  return r.data;
}

export interface AppEnvironmentInput {
  app: string;
  /** The image manifest's app.environment. */
  image?: EnvironmentVariable[];
  /** --set-env and per-app --environment, in command-line order; they win over the image. */
  flags?: EnvironmentVariable[];
  /** AC_METADATA_URL once the metadata service exists. */
  metadataUrl?: string;
}

/**
 * The environment of an app's processes (appc "Execution Environment"):
 * PATH (default unless the image or flags set one), AC_APP_NAME,
 * AC_METADATA_URL when known, container=sprocket, then the image's and the
 * flags' variables. A later value replaces an earlier one in place; the
 * variables the executor defines (AC_APP_NAME, AC_METADATA_URL, container)
 * cannot be replaced.
 */
export function appEnvironment(input: AppEnvironmentInput): EnvironmentVariable[] {
  const fixed = new Map<string, string>([['AC_APP_NAME', input.app]]);
  if (input.metadataUrl !== undefined) fixed.set('AC_METADATA_URL', input.metadataUrl);
  fixed.set('container', 'sprocket');
  const env = new Map<string, string>([['PATH', DEFAULT_PATH], ...fixed]);
  for (const { name, value } of [...(input.image ?? []), ...(input.flags ?? [])]) {
    if (!fixed.has(name)) env.set(name, value);
  }
  return [...env].map(([name, value]) => ({ name, value }));
}
