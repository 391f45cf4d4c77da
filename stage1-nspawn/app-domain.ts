// Apps kept apart (docs/isolators.md): the apps of a pod share its PID
// namespace (appc), and the kernel lets a process read another's
// environment, memory, open files and root (/proc/PID/environ, mem, fd,
// root; ptrace) when both run as one uid with the same capabilities. So
// every command of an app's units runs through app-domain
// (stage1-nspawn/app-domain.c), which puts it in a Landlock domain of its
// own before executing it: a process in a domain reaches only processes of
// its own domain. An app the operator lets share (run --share-processes)
// runs without one, as the pod's own processes do.
import { fileURLToPath } from 'node:url';
import type { PlanApp, PodPlan } from './plan.js';

/** App annotation of a pod manifest by which the operator lets an app share (run --share-processes). */
export const SHARE_PROCESSES_ANNOTATION = 'sprocket.dev/share-processes';

/** Inside the pod: app-domain, bound read-only by nspawn from sprocket's build (one copy for every pod). */
export const APP_DOMAIN = '/sprocket/app-domain';
/** Inside the root of an app kept apart: app-domain, bound from APP_DOMAIN. */
export const APP_DOMAIN_IN_APP = '/.sprocket/app-domain';

/**
 * app-domain, compiled statically by npm run build (dist/chunks/ and
 * dist/stage1-nspawn/ are as deep below the root). Computed when used: in the
 * start-up snapshot a value computed at load is the build's path.
 */
export const appDomainBinary = () => fileURLToPath(new URL('../../dist/stage1-nspawn/app-domain', import.meta.url));

export const keptApart = (app: PlanApp) => !app.shareProcesses;
export const anyKeptApart = (plan: PodPlan) => plan.apps.some(keptApart);

const hasFilter = (app: PlanApp) => app.isolation.seccomp !== undefined || app.isolation.seccompDefault;
/**
 * systemd (252) sets no_new_privs for a process with a seccomp filter that
 * has no CAP_SYS_ADMIN once it runs as its user: an app that is not root.
 * The unit says so itself, as app-domain relies on it.
 */
const impliedNoNewPrivileges = (app: PlanApp) => app.uid !== 0 && hasFilter(app) && !app.isolation.noNewPrivileges;

/**
 * Making a Landlock domain takes no_new_privs or CAP_SYS_ADMIN, and taking
 * that out of the bounding set CAP_SETPCAP. An app under no_new_privs needs
 * neither; another (root, or with no filter) has them lent by its unit.
 */
const lent = (app: PlanApp) => (app.isolation.noNewPrivileges || impliedNoNewPrivileges(app) ? [] : ['CAP_SYS_ADMIN', 'CAP_SETPCAP']);
/** Those lent that are not in the app's own bounding set: app-domain drops them from it. */
export const lentToBoundingSet = (app: PlanApp) => lent(app).filter((c) => !app.isolation.capabilities.includes(c));

/** The system calls app-domain makes after the app's seccomp filter is in place (execve systemd always allows). */
const domainSyscalls = (app: PlanApp) => ['landlock_create_ruleset', 'landlock_restrict_self', 'capget', ...(lent(app).length ? ['prctl', 'capset'] : [])];

/**
 * nspawn's own filter for the whole pod (systemd 252) does not allow
 * Landlock's calls, which can only take rights away: its argument for a pod
 * with an app kept apart.
 */
export const NSPAWN_LANDLOCK_FILTER = '--system-call-filter=landlock_create_ruleset landlock_restrict_self';

/** argv of one command of the app's units: through app-domain when the app is kept apart. */
export const appCommand = (app: PlanApp, argv: string[]) => (keptApart(app) ? [APP_DOMAIN_IN_APP, ...lentToBoundingSet(app), '--', ...argv] : argv);

/**
 * [Service] lines of a unit that runs the app's commands, after its
 * isolation lines: app-domain in its root; what systemd implies anyway, or
 * the capabilities lent (merged into the bounding set; ambient, for an app
 * that is not root); and, when the app has a seccomp filter, app-domain's
 * calls taken out of a deny list or added to an allow list (a later
 * SystemCallFilter= line does either).
 */
export function appDomainLines(app: PlanApp): string[] {
  if (!keptApart(app)) return [];
  const toBound = lentToBoundingSet(app);
  const ambient = app.uid !== 0 ? lent(app) : [];
  return [
    `BindReadOnlyPaths=${APP_DOMAIN}:${APP_DOMAIN_IN_APP}`,
    ...(impliedNoNewPrivileges(app) ? ['NoNewPrivileges=yes'] : []),
    ...(toBound.length ? [`CapabilityBoundingSet=${toBound.join(' ')}`] : []),
    ...(ambient.length ? [`AmbientCapabilities=${ambient.join(' ')}`] : []),
    ...(hasFilter(app) ? [`SystemCallFilter=${domainSyscalls(app).join(' ')}`] : []),
  ];
}
