// The systemd-nspawn command line that boots a pod: its stage1 root with the
// host's /usr, the apps' overlay roots, the volumes and the status directory.
import { anyKeptApart, APP_DOMAIN, appDomainBinary, NSPAWN_LANDLOCK_FILTER } from './app-domain.js';
import { JOURNAL_SOCKETS, POD_JOURNAL } from './app-log.js';
import { appRoot, STATUS_DIR, volumeInPod } from './app-unit.js';
import { metadataProxyNspawnArgs, needsMetadataProxy } from './metadata-proxy.js';
import { planHostname, podNetnsPath, type PlanApp, type PodPlan } from './plan.js';
import { secretNspawnArgs } from './secrets.js';
import { appUpper, emptyVolume, POD_UNITS, statusDir } from './stage1-root.js';

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
  if (plan.network === 'contained') return [`--network-namespace-path=${podNetnsPath(plan.uuid)}`];
  return [];
}

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

/** argv (with argv[0]) of the pod's nspawn; runs as the main process of the host unit. */
export function nspawnArgv(plan: PodPlan): string[] {
  const volumes = plan.volumes.map((v) => {
    const source = v.kind === 'host' ? v.source : emptyVolume(plan, v.name);
    const norbind = v.kind === 'host' && !v.recursive ? ':norbind' : '';
    return `--bind${v.readOnly ? '-ro' : ''}=${part(source)}:${volumeInPod(v.name)}${norbind}`;
  });
  return [
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
    ...plan.apps.map((a) => `${appOverlay(a)}=${part(a.tree)}:${part(appUpper(plan, a.name))}:${appRoot(a.name)}`),
    ...volumes,
    ...(needsMetadataProxy(plan) ? metadataProxyNspawnArgs() : []),
    ...secretNspawnArgs(plan),
    // Apps kept apart: app-domain from sprocket's build (one copy for every pod), and Landlock's calls.
    ...(anyKeptApart(plan) ? [`--bind-ro=${part(appDomainBinary())}:${APP_DOMAIN}`, NSPAWN_LANDLOCK_FILTER] : []),
  ];
}
