// The systemd-nspawn command line that boots a pod: its stage1 root with the
// host's /usr, the apps' overlay roots, the volumes and the status directory.
import { anyKeptApart, APP_DOMAIN, appDomainBinary, NSPAWN_LANDLOCK_FILTER } from './app-domain.js';
import { JOURNAL_SOCKETS, POD_JOURNAL } from './app-log.js';
import { appRoot, STATUS_DIR, volumeInPod } from './app-unit.js';
import { metadataProxyNspawnArgs, needsMetadataProxy } from './metadata-proxy.js';
import { planHostname, podNetnsPath, type PlanApp, type PodPlan } from './plan.js';
import { secretNspawnArgs } from './secrets.js';
import { appUpper, emptyVolume, POD_UNITS, statusDir } from './stage1-root.js';
import { APP_DIRS, appTree, privateUsersArgs } from './user-namespace.js';
import { podPaths } from '../src/pod/dir.js';

export const NSPAWN = '/usr/bin/systemd-nspawn';

/** nspawn splits --bind= and --overlay= on ':'; a backslash escapes it. */
const part = (p: string) => p.replace(/[\\:]/g, (c) => `\\${c}`);

// readOnlyRootFS: the upper dir becomes the top lower layer of a read-only
// overlay (systemd's ReadOnlyPaths=/ leaves a RootDirectory= writable); it
// holds the mount points made by writeStage1Root, so volumes stay writable.
const appOverlay = (app: PlanApp) => (app.readOnlyRootFS ? '--overlay-ro' : '--overlay');

/** Inside the pod: the host's network, loopback only, or the namespace src/net set up (joined to its CNI networks). */
function networkArgs(plan: PodPlan): string[] {
  if (plan.network === 'none') return ['--private-network'];
  if (plan.network === 'contained' && !plan.privateUsers) return [`--network-namespace-path=${podNetnsPath(plan.uuid)}`];
  return [];
}

/**
 * A contained pod with a user namespace: nspawn 252 joins the network
 * namespace from inside the pod's new user namespace, which the host's
 * namespace refuses (EPERM); so nspawn starts in it (nsenter execs it).
 */
const inNetns = (plan: PodPlan) => (plan.network === 'contained' && plan.privateUsers ? [NSENTER, `--net=${podNetnsPath(plan.uuid)}`, '--'] : []);
const NSENTER = '/usr/bin/nsenter';

/** Inside the pod: where its systemd creates transient units (kept on its unit search path). */
const TRANSIENT_UNITS = '/run/systemd/transient';

/**
 * Where the pod's systemd looks for units and generators (systemd(1),
 * ENVIRONMENT: a list replaces the default one). Units: only the stage1
 * root's /etc/systemd/system (writeStage1Root: the pod's units, and links to
 * the host's units that end the pod) and the transient ones. The default path
 * made it read the host's whole /usr/lib/systemd/system (twice: /lib is a link
 * to it) into a name map it keeps, about 120 KiB of its heap, and load what
 * the pod's masks were there to stop. Generators: none. They make units from
 * fstab, crypttab, the kernel command line, SysV scripts, a getty ... of a
 * whole OS, which the stage1 root does not have; at every boot the host's
 * (Debian 12: 13, one a shell script) were forked and run before any unit
 * was loaded, about a third of the pod's boot (docs/performance.md, round
 * three). nspawn passes these to the pod's systemd, which keeps its own
 * environment from the units it starts.
 */
export const POD_SEARCH_PATHS = [
  `--setenv=SYSTEMD_UNIT_PATH=${POD_UNITS}:${TRANSIENT_UNITS}`,
  '--setenv=SYSTEMD_GENERATOR_PATH=',
  '--setenv=SYSTEMD_ENVIRONMENT_GENERATOR_PATH=',
];

/**
 * The apps' roots: nspawn's overlays; in a user namespace, the image trees
 * (idmapped) and the upper directories, which the pod's systemd mounts as
 * overlays (user-namespace.ts).
 */
function appRootArgs(plan: PodPlan): string[] {
  if (!plan.privateUsers) return plan.apps.map((a) => `${appOverlay(a)}=${part(a.tree)}:${part(appUpper(plan, a.name))}:${appRoot(a.name)}`);
  return [...plan.apps.map((a) => `--bind-ro=${part(a.tree)}:${appTree(a.name)}:idmap`), `--bind=${part(podPaths(plan.podDir).apps)}:${APP_DIRS}`];
}

/** argv (with argv[0]) of the pod's nspawn; runs as the main process of the host unit. */
export function nspawnArgv(plan: PodPlan): string[] {
  const volumes = plan.volumes.map((v) => {
    const source = v.kind === 'host' ? v.source : emptyVolume(plan, v.name);
    // A host volume in a user namespace: its files' owners as on the host (an empty volume is the pod's range's already).
    const options = v.kind === 'host' ? [...(v.recursive ? [] : ['norbind']), ...(plan.privateUsers ? ['idmap'] : [])] : [];
    return `--bind${v.readOnly ? '-ro' : ''}=${part(source)}:${volumeInPod(v.name)}${options.length ? `:${options.join(',')}` : ''}`;
  });
  return [
    ...inNetns(plan),
    NSPAWN,
    '--quiet',
    `--directory=${plan.stage1Root}`,
    '--boot',
    `--machine=${plan.machine}`,
    `--uuid=${plan.uuid.replaceAll('-', '')}`,
    '--register=yes',
    '--keep-unit',
    // The host unit (Type=notify) is active once the pod's systemd is up.
    '--notify-ready=yes',
    // The stage1 root as written stays as written.
    '--link-journal=no',
    '--resolv-conf=off',
    '--timezone=off',
    `--hostname=${planHostname(plan)}`,
    ...POD_SEARCH_PATHS,
    ...networkArgs(plan),
    '--bind-ro=/usr',
    `--bind=${JOURNAL_SOCKETS}:${POD_JOURNAL}`,
    `--bind=${part(statusDir(plan))}:${STATUS_DIR}`,
    ...privateUsersArgs(plan),
    ...appRootArgs(plan),
    ...volumes,
    ...(needsMetadataProxy(plan) ? metadataProxyNspawnArgs() : []),
    ...secretNspawnArgs(plan),
    // Apps kept apart: app-domain from sprocket's build (one copy for every pod), and Landlock's calls.
    ...(anyKeptApart(plan) ? [`--bind-ro=${part(appDomainBinary())}:${APP_DOMAIN}`, NSPAWN_LANDLOCK_FILTER] : []),
  ];
}
