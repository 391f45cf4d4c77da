// The stage1 root of a pod (pods/<uuid>/stage1): a tiny tree booted by
// systemd-nspawn with the host's /usr bound read-only. It holds only what
// the pod's systemd needs: /etc with a generated default.target that wants
// every app, the app units, links to the host's units that end the pod (the
// only ones of the host's its systemd sees: faster boot, less memory), and
// the scripts run inside the pod.
// Also makes the other per-pod directories stage1 binds: status/, the apps'
// overlay upper dirs and the empty volumes. Writing twice gives the same tree.
import { chmodSync, chownSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { invalid, notFound } from '../src/errors.js';
import { COPIER_RECORD_FILE, podPaths } from '../src/pod/dir.js';
import { anyKeptApart, APP_DOMAIN_IN_APP, appDomainBinary, keptApart } from './app-domain.js';
import { APP_JOURNAL_BINDS, APP_LOG, APP_LOG_SOCKET_NAME, APP_LOG_STOPPED, APP_LOG_UNIT_NAME, appLogSocket, appLogUnit, POD_JOURNAL, POD_JOURNAL_MOUNT, POD_JOURNAL_MOUNT_UNIT } from './app-log.js';
import { APP_SOCKET_FILE, appSockets, isSocketActivated, SOCKET_LOADER, socketLoaderText, socketUnits } from './app-socket.js';
import { APP_LIST, appRoot, appStoppedUnitName, appUnitName, APP_STARTED, APP_STARTED_TEMPLATE, APP_STARTED_UNIT, APP_STOPPED, APP_USR, APP_STOPPED_TEMPLATE, APP_STOPPED_UNIT, NOTIFY_SOCKET, podFileBinds, POD_HOSTS, renderAppUnit, STATUS_DIR, volumeInPod } from './app-unit.js';
import { SYSCTL_CONF, SYSCTL_SCRIPT, SYSCTL_UNIT, SYSCTL_UNIT_TEXT, sysctlConf } from './isolation-unit.js';
import { APP_HEALTH, healthUnits } from './app-health.js';
import { LIMITS_CONF, limitsConf } from './pod-limits.js';
import { METADATA_PROXY_SOCKET, METADATA_PROXY_UNITS, needsMetadataProxy } from './metadata-proxy.js';
import { volumeDir, type PodPlan } from './plan.js';
import { APP_DIRS, appRootMount, appTree, appWork, checkIdmappable, hostIds } from './user-namespace.js';
import { APP_CREDENTIALS } from './secrets.js';

/** Inside the pod: the only directory of unit files of its systemd (nspawn-args.ts, POD_SEARCH_PATHS), beside the transient ones. */
export const POD_UNITS = '/etc/systemd/system';
/** Where the host's systemd keeps its units (in the pod: the bound /usr). */
const HOST_UNITS = '/usr/lib/systemd/system';

/**
 * The host's units that the pod's systemd needs, linked into POD_UNITS: those
 * that end it (systemctl exit and an app's FailureAction=exit; the halt nspawn
 * asks for at a stop; machinectl poweroff and reboot). Nothing else of the
 * host's /usr/lib/systemd/system is on its unit path, so nothing else can be
 * loaded or pulled in (no journald, udev, getty, tmpfiles ... of a whole OS).
 */
export const HOST_UNITS_USED = [
  'shutdown.target', 'umount.target', 'final.target',
  'exit.target', 'systemd-exit.service', 'halt.target', 'systemd-halt.service',
  'poweroff.target', 'systemd-poweroff.service', 'reboot.target', 'systemd-reboot.service', 'ctrl-alt-del.target',
];

/**
 * A drop-in for every mount unit of the pod's systemd (one for each mount
 * nspawn made: /usr, the apps' roots, the binds, /proc's masks ...): no
 * default dependencies. With them each mount is ordered before local-fs.target
 * and conflicts with umount.target, which loaded sysinit.target, the
 * emergency units and every unit their .wants/ name: some 40 of a 2-app pod's
 * 60 units, memory and loading time for nothing. Nothing of the pod's waits
 * for local-fs.target, and nspawn's mounts are not the pod's systemd's to
 * unmount: its final unmount at the pod's end takes them all (the apps'
 * RequiresMountsFor= still stop them first).
 */
const MOUNT_DROP_IN_DIR = 'mount.d';
const MOUNT_DROP_IN = `${MOUNT_DROP_IN_DIR}/sprocket.conf`;
const MOUNT_DROP_IN_TEXT = '[Unit]\nDefaultDependencies=no\n';

const script = (name: string) => new URL(`../../stage1-nspawn/scripts/${name}`, import.meta.url);
/**
 * The copier, compiled by npm run build (dist/chunks/ and dist/stage1-nspawn/
 * are as deep below the root). Computed when used: in the start-up snapshot
 * a value computed at load is the build's path (src/cli/snapshot-app.ts).
 */
const appLogBinary = () => new URL('../../dist/stage1-nspawn/app-log', import.meta.url);

// The pod directory's layout is src/pod/dir.ts's (podPaths): one definition.
/** pods/<uuid>/apps/<app>/upper: the writable layer of an app's overlay root. */
export const appUpper = (plan: PodPlan, app: string) => path.join(podPaths(plan.podDir).apps, app, 'upper');
/** pods/<uuid>/volumes/<name> or app-volumes/<app>/<name>: an empty volume. */
export const emptyVolume = (plan: PodPlan, volume: string) => path.join(plan.podDir, volumeDir(volume));
/** pods/<uuid>/status: the exit record of every app, /sprocket/status inside. */
export const statusDir = (plan: PodPlan) => podPaths(plan.podDir).status;

/** Host uid and gid that own what is made for the pod's root to write (user-namespace.ts); none: host root's. */
type Owner = [number, number] | undefined;

/**
 * mkdir -p of `rel` below `base` that never follows a symlink: the upper
 * dirs were written by apps, which may have planted links to host paths.
 * What it makes is `owner`'s. Returns whether the last directory was made now.
 */
function makeDirs(base: string, rel: string, field: string, owner?: Owner): boolean {
  let dir = base;
  let made = false;
  for (const part of rel.split('/').filter(Boolean)) {
    dir = path.join(dir, part);
    try {
      mkdirSync(dir);
      if (owner) chownSync(dir, ...owner);
      made = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!(lstatSync(dir)).isDirectory()) throw invalid(`${dir} exists and is not a directory`, { file: 'plan.json', field });
      made = false;
    }
  }
  return made;
}

/** A symlink at `at` pointing to `target`, replacing a different one. */
function link(target: string, at: string): void {
  try {
    if ((readlinkSync(at)) === target) return;
    unlinkSync(at);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  symlinkSync(target, at);
}

// A socket-activated app waits for its first connection: its sockets are started, not the app (app-socket.ts).
const podTarget = (plan: PodPlan) => {
  const apps = plan.apps.flatMap((a) => (isSocketActivated(a) ? appSockets(a) : [appUnitName(a.name), appStoppedUnitName(a.name)]));
  const units = [POD_JOURNAL_MOUNT, ...apps, ...(needsMetadataProxy(plan) ? [METADATA_PROXY_SOCKET] : [])];
  return ['[Unit]', `Description=sprocket pod ${plan.uuid}`, `Wants=${units.join(' ')}`, ''].join('\n');
};

/**
 * Writes the stage1 root and the per-pod directories it binds. Its file
 * calls are synchronous: some 80 small ones per pod, on the way to the pod's
 * start, each a round trip through libuv's thread pool otherwise, which a
 * loaded machine makes slow (docs/performance.md, round three). Async for
 * its callers: a failure is a rejection.
 */
export async function writeStage1Root(plan: PodPlan): Promise<void> {
  checkHostVolumes(plan);
  checkIdmappable(plan);
  const root = plan.stage1Root;
  const inRoot = (p: string) => path.join(root, p);
  for (const d of ['usr', POD_UNITS, 'proc', 'sys', 'dev', 'run', 'tmp', 'var', STATUS_DIR, POD_JOURNAL, path.dirname(POD_HOSTS)]) {
    mkdirSync(inRoot(d), { recursive: true });
  }
  // nspawn refuses a root without usr/; the rest of the FHS comes from the host's /usr.
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) link(`usr/${d}`, inRoot(d));
  link('../run', inRoot('var/run'));
  writeFileSync(inRoot('etc/os-release'), 'ID=sprocket-stage1\nNAME="sprocket stage1"\n');
  // Empty: systemd uses the pod UUID nspawn passes as the machine ID.
  writeFileSync(inRoot('etc/machine-id'), '');
  // The pod's systemd refuses User=/Group=/SupplementaryGroups= ids that its NSS does not know (ESRCH, 217/USER).
  const uids = [...new Set(plan.apps.map((a) => a.uid).filter((id) => id !== 0))];
  const gids = [...new Set(plan.apps.flatMap((a) => [a.gid, ...a.supplementaryGids]).filter((id) => id !== 0))];
  writeFileSync(inRoot('etc/passwd'), ['root:x:0:0:root:/:/bin/sh', ...uids.map((id) => `u${id}:x:${id}:${id}::/:/bin/false`)].join('\n') + '\n');
  writeFileSync(inRoot('etc/group'), ['root:x:0:', ...gids.map((id) => `g${id}:x:${id}:`)].join('\n') + '\n');
  mkdirSync(inRoot('etc/systemd/system.conf.d'), { recursive: true });
  if (plan.isolation.limits) writeFileSync(inRoot(LIMITS_CONF), limitsConf(plan.isolation.limits));
  if (plan.apps.some((a) => a.interactive)) {
    // The console is the operator's terminal: no boot status or manager messages on it.
    writeFileSync(inRoot('etc/systemd/system.conf.d/interactive.conf'), '[Manager]\nShowStatus=no\nLogTarget=null\n');
  }
  const units = inRoot(POD_UNITS);
  // What the pod's root writes: the host's root's, or the base of the pod's range (user-namespace.ts).
  const podRoot: Owner = plan.privateUsers ? hostIds(plan) : undefined;
  if (plan.privateUsers) mkdirSync(inRoot(APP_DIRS), { recursive: true });
  for (const u of HOST_UNITS_USED) link(path.join(HOST_UNITS, u), path.join(units, u));
  mkdirSync(path.join(units, MOUNT_DROP_IN_DIR), { recursive: true });
  writeFileSync(path.join(units, MOUNT_DROP_IN), MOUNT_DROP_IN_TEXT);
  writeFileSync(path.join(units, 'default.target'), podTarget(plan));
  writeFileSync(path.join(units, POD_JOURNAL_MOUNT), POD_JOURNAL_MOUNT_UNIT);
  writeFileSync(path.join(units, APP_STOPPED_TEMPLATE), APP_STOPPED_UNIT);
  writeFileSync(path.join(units, APP_STARTED_TEMPLATE), APP_STARTED_UNIT);
  // The copier of the apps' output: none for an interactive app (its console is the operator's terminal).
  const logged = plan.apps.filter((a) => !a.interactive).map((a) => a.name);
  for (const [name, text] of [[APP_LOG_SOCKET_NAME, appLogSocket(logged)], [APP_LOG_UNIT_NAME, appLogUnit(plan.uuid, logged, `${STATUS_DIR}/${COPIER_RECORD_FILE}`)]] as const) {
    if (logged.length) writeFileSync(path.join(units, name), text);
    else rmSync(path.join(units, name), { force: true });
  }
  for (const app of plan.apps) {
    writeFileSync(path.join(units, appUnitName(app.name)), renderAppUnit(plan, app));
    for (const [name, text] of Object.entries(healthUnits(plan, app))) writeFileSync(path.join(units, name), text);
    mkdirSync(inRoot(appRoot(app.name)), { recursive: true });
    // The upper directory, its mount points and the work directory are the pod's root's (the app's files land there); apps/<app> stays root's.
    mkdirSync(path.dirname(appUpper(plan, app.name)), { recursive: true });
    const field = `apps.${plan.apps.indexOf(app)}`;
    const upper = (fn: (base: string, rel: string, field: string, owner?: Owner) => unknown, rel: string) => fn(appUpper(plan, app.name), rel, field, podRoot);
    makeDirs(path.dirname(appUpper(plan, app.name)), 'upper', field, podRoot);
    if (plan.privateUsers) {
      makeDirs(path.dirname(appWork(plan, app.name)), path.basename(appWork(plan, app.name)), field, podRoot);
      mkdirSync(inRoot(appTree(app.name)), { recursive: true });
      const [name, text] = appRootMount(app);
      writeFileSync(path.join(units, name), text);
    }
    // Mount points of the journal sockets (/dev/log is in the pod's /dev) and, for a notify app, the pod's /usr in the app's root.
    if (app.notify) upper(makeDirs, APP_USR);
    for (const [, target] of APP_JOURNAL_BINDS) if (!target.startsWith('/dev/')) upper(makeFile, target);
    // Where systemd mounts the app's credentials: a read-only root could not get it later.
    if (app.secrets.length) upper(makeDirs, APP_CREDENTIALS);
    // A read-only root cannot get mount points later, nor can a root of a user namespace's overlay (made by the pod's systemd).
    const later = app.readOnlyRootFS || plan.privateUsers ? ['/proc', '/sys', '/dev', ...app.mounts.map((m) => m.target)] : [];
    for (const target of later) upper(makeDirs, target);
    if (app.notify) upper(makeFile, NOTIFY_SOCKET);
    if (keptApart(app)) upper(makeFile, APP_DOMAIN_IN_APP);
    // Mount points of the pod's hosts and resolv.conf: also over an image's symlink (to a path that may not exist in the app's root).
    for (const [, target] of podFileBinds(plan)) upper(makeFile, target);
  }
  // The apps whose end ends the pod: not the socket-activated ones, which the next connection starts again.
  writeFileSync(inRoot(APP_LIST), plan.apps.filter((a) => !isSocketActivated(a)).map((a) => `${a.name}\n`).join(''));
  writeSockets(plan, units);
  installScript(script('app-stopped'), inRoot(APP_STOPPED));
  installScript(script('app-started'), inRoot(APP_STARTED));
  installScript(appLogBinary(), inRoot(APP_LOG));
  installScript(script('app-log-stopped'), inRoot(APP_LOG_STOPPED));
  if (anyKeptApart(plan)) checkAppDomain();
  if (plan.apps.some((a) => a.health)) installScript(script('app-health'), inRoot(APP_HEALTH));
  writeSysctls(plan, inRoot);
  for (const [name, text] of Object.entries(METADATA_PROXY_UNITS)) {
    if (needsMetadataProxy(plan)) writeFileSync(path.join(units, name), text);
    else rmSync(path.join(units, name), { force: true });
  }
  mkdirSync(statusDir(plan), { recursive: true });
  if (podRoot) chownSync(statusDir(plan), ...podRoot);
  for (const v of plan.volumes) {
    mkdirSync(inRoot(volumeInPod(v.name)), { recursive: true });
    if (v.kind !== 'empty') continue;
    // Mode and owner are set once: later, the directory is the apps' to change.
    if (makeDirs(plan.podDir, volumeDir(v.name), `volumes.${plan.volumes.indexOf(v)}`)) {
      chmodSync(emptyVolume(plan, v.name), v.mode);
      chownSync(emptyVolume(plan, v.name), ...hostIds(plan, v.uid, v.gid));
    }
  }
}

/** The socket units of the socket-activated apps and the drop-in that loads them early; none of them (stale ones removed) otherwise. */
function writeSockets(plan: PodPlan, units: string): void {
  const sockets = socketUnits(plan);
  for (const name of readdirSync(units)) {
    if (APP_SOCKET_FILE.test(name) && !sockets.some(([n]) => n === name)) rmSync(path.join(units, name));
  }
  for (const [name, text] of sockets) writeFileSync(path.join(units, name), text);
  const loader = path.join(units, SOCKET_LOADER);
  if (!sockets.length) return rmSync(path.dirname(loader), { recursive: true, force: true });
  mkdirSync(path.dirname(loader), { recursive: true });
  writeFileSync(loader, socketLoaderText(plan));
}

function installScript(source: URL, at: string): void {
  copyFileSync(source, at);
  chmodSync(at, 0o755);
}

/** An empty regular file at `rel` below `base` (a mount point for a socket), never through a symlink; `owner`'s. */
function makeFile(base: string, rel: string, field: string, owner?: Owner): void {
  makeDirs(base, path.dirname(rel), field, owner);
  const file = path.join(base, rel);
  try {
    writeFileSync(file, '', { flag: 'wx' });
    if (owner) chownSync(file, ...owner);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    if (!(lstatSync(file)).isFile()) throw invalid(`${file} exists and is not a regular file`, { file: 'plan.json', field });
  }
}

/** The sysctl unit, its script and values; none of them without pod sysctls. */
function writeSysctls(plan: PodPlan, inRoot: (p: string) => string): void {
  const unit = path.join(inRoot(POD_UNITS), SYSCTL_UNIT);
  if (!plan.isolation.sysctls.length) {
    for (const f of [unit, inRoot(SYSCTL_CONF), inRoot(SYSCTL_SCRIPT)]) rmSync(f, { force: true });
    return;
  }
  writeFileSync(unit, SYSCTL_UNIT_TEXT);
  writeFileSync(inRoot(SYSCTL_CONF), sysctlConf(plan.isolation));
  installScript(script('sysctl'), inRoot(SYSCTL_SCRIPT));
}

/** nspawn binds app-domain from sprocket's build: without it the pod would fail only after its unit started. */
function checkAppDomain(): void {
  try {
    statSync(appDomainBinary());
  } catch {
    throw notFound(`${appDomainBinary()} does not exist: this sprocket is not fully built`, { file: appDomainBinary(), hint: 'build it with npm run build (docs/isolators.md, "Apps kept apart")' });
  }
}

/** Host volumes must exist: nspawn would fail only after the unit started. */
function checkHostVolumes(plan: PodPlan): void {
  for (const [i, v] of plan.volumes.entries()) {
    if (v.kind !== 'host') continue;
    try {
      statSync(v.source);
    } catch {
      throw notFound(`host volume ${v.name}: ${v.source} does not exist`, { file: 'plan.json', field: `volumes.${i}.source` });
    }
  }
}
