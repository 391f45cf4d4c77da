// <app>.service for the pod's systemd: the app chrooted into its overlay
// root, with the pod's /proc, /sys and /dev, its own user, environment and
// event handlers, and a hook that records how it ended.
import { APPS_ENDED_FILE } from '../src/pod/dir.js';
import { appCommand, appDomainLines } from './app-domain.js';
import { APP_JOURNAL_BINDS, appLogDependencies, appLogLines, JOURNAL_SOCKETS, POD_JOURNAL } from './app-log.js';
import { isSocketActivated } from './app-socket.js';
import { isolationLines, SYSCTL_UNIT } from './isolation-unit.js';
import { METADATA_PROXY_SOCKET, needsMetadataProxy } from './metadata-proxy.js';
import { volumeDir, type PlanApp, type PodPlan } from './plan.js';
import { secretLines } from './secrets.js';
import { sensitivePathLines } from './sensitive-paths.js';
import { execLine, quoteWord } from './unit-syntax.js';
import { healthWants } from './health.js';

/** Inside the pod: where each app's root is mounted (nspawn --overlay). */
export const appRoot = (app: string) => `/opt/stage2/${app}/rootfs`;
/** Inside the pod: where each volume of the plan is bound (nspawn --bind). */
export const volumeInPod = (volume: string) => `/sprocket/${volumeDir(volume)}`;
/** Inside the pod: the host-visible directory of exit records (pods/<uuid>/status). */
export const STATUS_DIR = '/sprocket/status';
/** Inside the pod: the script run after each app (stage1-nspawn/scripts/app-stopped). */
export const APP_STOPPED = '/sprocket/app-stopped';
/** Inside the pod: the app names, one a line, read by APP_STOPPED. */
export const APP_LIST = '/sprocket/apps';
/** Inside the pod: made by APP_STOPPED when the last app of APP_LIST ended with success, before it ends the pod with exit code 0 (the pod's own end). */
export const APPS_ENDED = `${STATUS_DIR}/${APPS_ENDED_FILE}`;
/** The unit that runs APP_STOPPED for app %i. */
export const APP_STOPPED_TEMPLATE = 'app-stopped@.service';
export const appStoppedUnitName = (app: string) => `app-stopped@${app}.service`;
/** Inside the pod: the pod's systemd's notification socket; bound into the root of an app that says READY=1. */
export const NOTIFY_SOCKET = '/run/systemd/notify';
/** Inside a notify app's root: the pod's /usr (the host's), read-only, so that an image without systemd-notify can still say READY=1. */
export const APP_USR = '/.sprocket/usr';
/** Inside the pod: the pod's hosts file and resolv.conf (src/net/pod-files.ts), bound read-only at /etc/hosts and /etc/resolv.conf of every app. */
export const POD_HOSTS = '/sprocket/etc/hosts';
export const POD_RESOLV_CONF = '/sprocket/etc/resolv.conf';
export const APP_HOSTS = '/etc/hosts';
export const APP_RESOLV_CONF = '/etc/resolv.conf';

/** The pod files bound into every app: pod path → app path (no resolv.conf with --dns=none). */
export const podFileBinds = (plan: PodPlan): [string, string][] => [
  [POD_HOSTS, APP_HOSTS],
  ...(plan.dns.mode === 'none' ? [] : [[POD_RESOLV_CONF, APP_RESOLV_CONF] as [string, string]]),
];

export const appUnitName = (app: string) => `${app}.service`;

/**
 * app-stopped@APP.service: bound to APP.service and stopped just after it
 * (stop runs in the reverse of start order), it records how the app ended.
 * A unit of its own because every command of the app's unit, even one with
 * the "+" prefix, runs chrooted in the app's root, where the pod's status
 * directory and systemctl are not.
 */
export const APP_STOPPED_UNIT = [
  '[Unit]',
  'Description=sprocket: record how app %i ended',
  'DefaultDependencies=no',
  'BindsTo=%i.service',
  'Before=%i.service',
  // Its record written before the pod's systemd shuts down (exit.target, halt), as the apps' are.
  'Conflicts=shutdown.target',
  'Before=shutdown.target',
  `RequiresMountsFor=${STATUS_DIR} ${JOURNAL_SOCKETS}`,
  '',
  '[Service]',
  // Started without a process (no ExecStart=: nothing forked before the app starts), active until the app stops.
  'Type=oneshot',
  'RemainAfterExit=yes',
  `ExecStop=${APP_STOPPED} %i ${STATUS_DIR} ${APP_LIST} ${APPS_ENDED}`,
  // Not a slice of its own (system-app\x2dstopped.slice): one unit and cgroup less in the pod's systemd.
  'Slice=system.slice',
  '',
].join('\n');

/** Inside the pod: the script run after each start of an app with a restart policy (stage1-nspawn/scripts/app-started). */
export const APP_STARTED = '/sprocket/app-started';
export const APP_STARTED_TEMPLATE = 'app-started@.service';
export const appStartedUnitName = (app: string) => `app-started@${app}.service`;

/**
 * app-started@APP.service: wanted by APP.service when it has a restart
 * policy or is socket-activated, so pulled in again by every start job of
 * it (a oneshot without RemainAfterExit= is inactive in between): writes
 * the app's NRestarts to /sprocket/status/APP.restarts, which status reads
 * (the count, and for a socket-activated app when it last started). A unit
 * of its own for the reason of app-stopped@.service.
 */
export const APP_STARTED_UNIT = [
  '[Unit]',
  'Description=sprocket: count the restarts of app %i',
  'DefaultDependencies=no',
  'After=%i.service',
  `RequiresMountsFor=${STATUS_DIR}`,
  '',
  '[Service]',
  'Type=oneshot',
  `ExecStart=${APP_STARTED} %i ${STATUS_DIR}`,
  '',
].join('\n');

/** Restart= and RestartSec= of an app with a restart policy. */
const restartLines = (app: PlanApp) => (app.restart === 'no' ? [] : [`Restart=${app.restart}`, ...(app.restartDelay ? [`RestartSec=${app.restartDelay}`] : [])]);
/** The unit that records each start: for the restart count, and when a socket-activated app (started again by each connection after it ended) last started. */
const startRecordLines = (app: PlanApp) => (app.restart !== 'no' || isSocketActivated(app) ? [`Wants=${appStartedUnitName(app.name)}`] : []);

/** A bind of `source` (pod side) at `target` (app side) for BindPaths=. */
const bindPath = (source: string, target: string) => `${quoteWord(source)}:${quoteWord(target)}`;

/** Stopped before these are unmounted at the pod's shutdown (post-stop handlers, last log lines). */
export const appMountsLine = (app: PlanApp) => `RequiresMountsFor=${[appRoot(app.name), POD_JOURNAL, ...app.mounts.map((m) => volumeInPod(m.volume))].join(' ')}`;

/**
 * How a process of the app runs (the app's own unit, its health check): its
 * root, user, environment, secrets, mounts and isolators; `output` its stdio lines.
 * Each command of such a unit is appCommand(app, argv).
 */
export function appProcessLines(plan: PodPlan, app: PlanApp, output: string[]): string[] {
  const rw = app.mounts.filter((m) => !m.readOnly);
  const ro = app.mounts.filter((m) => m.readOnly);
  return [
    `RootDirectory=${appRoot(app.name)}`,
    'MountAPIVFS=yes',
    // Read-only: a root app could otherwise move into another unit's cgroup, whose journal entries are trusted (docs/journal.md).
    'ProtectControlGroups=yes',
    `User=${app.uid}`,
    `Group=${app.gid}`,
    ...(app.supplementaryGids.length ? [`SupplementaryGroups=${app.supplementaryGids.join(' ')}`] : []),
    // Taken as is, not unquoted: only specifiers need escaping.
    `WorkingDirectory=${app.workingDirectory.replaceAll('%', '%%')}`,
    ...app.environment.map((v) => `Environment=${quoteWord(`${v.name}=${v.value}`)}`),
    ...secretLines(app),
    ...output,
    // A notify app may run the pod's systemd-notify (docs/isolators.md, readiness).
    `BindReadOnlyPaths=${[...(app.notify ? [bindPath('/usr', APP_USR)] : []), ...APP_JOURNAL_BINDS.map(([from, to]) => bindPath(from, to)), ...podFileBinds(plan).map(([from, to]) => bindPath(from, to))].join(' ')}`,
    ...(rw.length ? [`BindPaths=${rw.map((m) => bindPath(volumeInPod(m.volume), m.target)).join(' ')}`] : []),
    ...(ro.length ? [`BindReadOnlyPaths=${ro.map((m) => bindPath(volumeInPod(m.volume), m.target)).join(' ')}`] : []),
    ...isolationLines(app.isolation),
    // After isolationLines: these widen its bounding set and seccomp filter for app-domain alone.
    ...appDomainLines(app),
    ...(plan.insecurePaths ? [] : sensitivePathLines(appRoot(app.name))),
  ];
}

/** The unit file text of one app. */
export function renderAppUnit(plan: PodPlan, app: PlanApp): string {
  // The pod's sysctls are set before any app starts.
  const sysctl = plan.isolation.sysctls.length ? [`Requires=${SYSCTL_UNIT}`, `After=${SYSCTL_UNIT}`] : [];
  // A private-network pod's metadata listener is up before any app asks it.
  const proxy = needsMetadataProxy(plan) ? [`Wants=${METADATA_PROXY_SOCKET}`, `After=${METADATA_PROXY_SOCKET}`] : [];
  const lines = [
    '[Unit]',
    `Description=sprocket app ${app.name} of pod ${plan.uuid}`,
    // Started as early as possible; stopped, with its hooks run, when the pod shuts down.
    'DefaultDependencies=no',
    'Conflicts=shutdown.target',
    'Before=shutdown.target',
    // rkt semantics: an app that fails ends the pod at once with its exit code.
    // With a restart policy, once the pod's systemd gives up restarting it (its
    // start limit): FailureAction= would also fire at each failure that is restarted.
    app.restart === 'no' ? 'FailureAction=exit' : 'StartLimitAction=exit',
    ...startRecordLines(app),
    // Started by its sockets, not by default.target, which wants its exit record's unit for the other apps.
    ...(isSocketActivated(app) ? [`Wants=${appStoppedUnitName(app.name)}`] : []),
    ...healthWants(app),
    ...sysctl,
    ...proxy,
    // Output through the pod's app-log.service: a writer to the journal that outlives the app (app-log.ts).
    ...(app.interactive ? [] : appLogDependencies()),
    appMountsLine(app),
    '',
    '[Service]',
    // notify: started (and the pod ready) once the app sends READY=1, from any of its processes.
    ...(app.notify ? ['Type=notify', 'NotifyAccess=all', `BindPaths=${NOTIFY_SOCKET}`] : ['Type=exec']),
    // --interactive: the console nspawn forwards to the operator's terminal.
    ...appProcessLines(plan, app, app.interactive ? ['StandardInput=tty', 'StandardOutput=tty', 'TTYPath=/dev/console'] : appLogLines(app.name)),
    ...(app.preStart ? [`ExecStartPre=${execLine(appCommand(app, app.preStart))}`] : []),
    `ExecStart=${execLine(appCommand(app, app.exec))}`,
    ...restartLines(app),
    // "-": a failing post-stop handler must not hide how the app itself ended.
    ...(app.postStop ? [`ExecStopPost=${execLine(appCommand(app, app.postStop), '-')}`] : []),
    '',
  ];
  return lines.join('\n');
}
