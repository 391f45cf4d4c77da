// appc isolators mapped to what systemd enforces: app isolators become
// directives of the app's unit inside the pod, pod isolators properties of
// the pod's host unit (bounding every app). Each isolator gets an outcome
// (enforced, modified, ignored) with the reason, kept in the plan so that
// run and status can say what the pod really got and --strict-isolators can
// refuse. Pure: what the host supports comes in as HostSupport.
import { constants } from 'node:os';
import { z } from 'zod';
import { invalid, SprocketError } from '../src/errors.js';
import { findIsolator, quantityValue, type Isolator } from '../src/spec/index.js';
import { PodLimits } from './pod-limits.js';

/** The capabilities of an app without capability isolators (spec/ace.md, "Linux Isolators"). */
export const DEFAULT_CAPABILITIES = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_KILL', 'CAP_MKNOD',
  'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETFCAP', 'CAP_SYS_CHROOT',
];

/** What systemd-nspawn (252) keeps in the pod's bounding set; an app cannot get more. */
export const NSPAWN_CAPABILITIES = [
  'CAP_AUDIT_CONTROL', 'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER',
  'CAP_FSETID', 'CAP_IPC_OWNER', 'CAP_KILL', 'CAP_LEASE', 'CAP_LINUX_IMMUTABLE', 'CAP_MKNOD', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT', 'CAP_SYS_CHROOT', 'CAP_SYS_NICE', 'CAP_SYS_PTRACE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TTY_CONFIG',
];

/**
 * sprocket's default seccomp filter, a deny list of what apps rarely need
 * and what reaches past the pod, as rkt's and Docker's defaults: setting
 * the clock, kernel modules and keyrings, mounts (chroot stays: appc's
 * default capabilities include CAP_SYS_CHROOT), namespaces, tracing,
 * reboot, swap, raw I/O, obsolete calls. Every app gets it (failing calls
 * get EPERM) unless the operator gives the app a seccomp set of its own or
 * says --insecure-options=seccomp; an image's own set only narrows it
 * (src/pod/image-privilege.ts, docs/isolators.md).
 */
export const DEFAULT_SECCOMP_DENY = [
  '@clock', '@cpu-emulation', '@debug', '@keyring', '@module', '@obsolete', '@raw-io', '@reboot', '@swap',
  'fsconfig', 'fsmount', 'fsopen', 'fspick', 'mount', 'mount_setattr', 'move_mount', 'open_tree', 'pivot_root', 'umount', 'umount2',
  'acct', 'bpf', 'kcmp', 'name_to_handle_at', 'open_by_handle_at', 'quotactl', 'setns', 'unshare', 'userfaultfd',
];
export const DEFAULT_SECCOMP_ERRNO = 'EPERM';

export const IsolatorOutcome = z.object({
  isolator: z.string(),
  outcome: z.enum(['enforced', 'modified', 'ignored']),
  /** What systemd got, or why not. */
  detail: z.string(),
});
export type IsolatorOutcome = z.infer<typeof IsolatorOutcome>;

/** What this host can enforce (readHostSupport). */
export const HostSupport = z.object({
  /** cgroup2 controllers available to pods (the pod's systemd uses the unified hierarchy). */
  controllers: z.array(z.string()),
  /** Loaded AppArmor profiles; null when AppArmor is off. */
  apparmorProfiles: z.array(z.string()).nullable(),
  selinux: z.boolean(),
});
export type HostSupport = z.infer<typeof HostSupport>;

/** Cgroup resource settings, on an app's unit or the pod's host unit. */
const Resources = z.object({
  memoryMax: z.number().int().positive().optional(),
  memoryLow: z.number().int().positive().optional(),
  /** CPUQuota= in percent of one CPU. */
  cpuQuotaPercent: z.number().int().positive().optional(),
  cpuWeight: z.number().int().min(1).max(10000).optional(),
  oomScoreAdjust: z.number().int().min(-1000).max(1000).optional(),
});

const SyscallName = z.string().regex(/^@?[a-z0-9_-]+$/, 'must be a syscall or a systemd syscall group name');

/** An app's isolation, resolved: what its unit file says. Defaults are an app without isolators. */
export const AppIsolation = Resources.extend({
  capabilities: z.array(z.string().regex(/^CAP_[A-Z_]+$/)).default(DEFAULT_CAPABILITIES),
  noNewPrivileges: z.boolean().default(false),
  /** allow: only these (retain-set); deny: all but these (remove-set). */
  seccomp: z.object({ mode: z.enum(['allow', 'deny']), syscalls: z.array(SyscallName).min(1), errno: z.string().regex(/^E[A-Z0-9]+$/).optional() }).optional(),
  /** DEFAULT_SECCOMP_DENY on top of `seccomp` (false in plans of sprockets before the default filter). */
  seccompDefault: z.boolean().default(false),
  selinuxContext: z.string().regex(/^[^\s:]+:[^\s:]+:[^\s:]+:\S+$/).optional(),
  apparmorProfile: z.string().regex(/^\S+$/).optional(),
  report: z.array(IsolatorOutcome).default([]),
});
export type AppIsolation = z.infer<typeof AppIsolation>;

/** A sysctl set in the pod's namespaces before its apps start. */
export const Sysctl = z.object({
  key: z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_-]+)+$/, 'must be a dotted sysctl name'),
  value: z.string().regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters'),
});
export type Sysctl = z.infer<typeof Sysctl>;

/** The pod's isolation: properties of its host unit, sysctls inside. */
export const PodIsolation = Resources.extend({
  sysctls: z.array(Sysctl).default([]),
  /** Its limits, defaults or flags (pod-limits.ts); absent in plans of sprockets before them, whose pods run without. */
  limits: PodLimits.optional(),
  report: z.array(IsolatorOutcome).default([]),
});
export type PodIsolation = z.infer<typeof PodIsolation>;

/** Where errors point: the manifest and the field of the isolator list. */
export interface IsolatorSource {
  file: string;
  field: string;
}

/** Sysctls of the pod's own namespaces (IPC always; net only with a private network). */
const IPC_SYSCTLS = /^(kernel\.(shmmax|shmall|shmmni|shm_rmid_forced|msgmax|msgmnb|msgmni|sem)|fs\.mqueue\.[a-z_]+)$/;

const ERRNO_NAMES = new Set(Object.keys(constants.errno));

/** Collects the outcome of each isolator of one list. */
class Report {
  readonly entries: IsolatorOutcome[] = [];
  add(isolator: string, outcome: IsolatorOutcome['outcome'], detail: string): void {
    this.entries.push({ isolator, outcome, detail });
  }
}

/** Outcome of a cgroup setting: enforced only when the host gives pods its controller. */
function cgroupOutcome(report: Report, support: HostSupport, isolator: string, controller: string, setting: string, modified?: string): void {
  if (!support.controllers.includes(controller)) {
    report.add(isolator, 'ignored', `${setting} is set, but this host gives pods no cgroup ${controller} controller`);
  } else if (modified) report.add(isolator, 'modified', `${setting} (${modified})`);
  else report.add(isolator, 'enforced', setting);
}

/** resource/memory, resource/cpu and os/linux/cpu-shares, oom-score-adj: the same for apps and pods. */
function resources(list: readonly Isolator[], support: HostSupport, report: Report): z.infer<typeof Resources> {
  const out: z.infer<typeof Resources> = {};
  const memory = findIsolator(list, 'resource/memory');
  if (memory?.value.limit !== undefined) {
    const bytes = quantityValue(memory.value.limit)!;
    out.memoryMax = Math.max(1, Math.floor(bytes));
    cgroupOutcome(report, support, 'resource/memory', 'memory', `MemoryMax=${out.memoryMax}`, out.memoryMax !== bytes ? `rounded from ${memory.value.limit}` : undefined);
  }
  if (memory?.value.request !== undefined) {
    const bytes = quantityValue(memory.value.request)!;
    out.memoryLow = Math.max(1, Math.floor(bytes));
    cgroupOutcome(report, support, 'resource/memory', 'memory', `MemoryLow=${out.memoryLow}`, out.memoryLow !== bytes ? `rounded from ${memory.value.request}` : undefined);
  }
  const cpu = findIsolator(list, 'resource/cpu');
  if (cpu?.value.limit !== undefined) {
    const percent = quantityValue(cpu.value.limit)! * 100;
    out.cpuQuotaPercent = Math.max(1, Math.round(percent));
    cgroupOutcome(report, support, 'resource/cpu', 'cpu', `CPUQuota=${out.cpuQuotaPercent}%`, out.cpuQuotaPercent !== percent ? `whole percents of a CPU, from ${cpu.value.limit}` : undefined);
  }
  const shares = findIsolator(list, 'os/linux/cpu-shares');
  if (shares) {
    // CPUShares=1024 is the default weight of cgroup v2, 100.
    const weight = (shares.value * 100) / 1024;
    out.cpuWeight = Math.min(10000, Math.max(1, Math.round(weight)));
    cgroupOutcome(report, support, 'os/linux/cpu-shares', 'cpu', `CPUWeight=${out.cpuWeight}`, out.cpuWeight !== weight ? `cgroup v2 weight of ${shares.value} shares, rounded` : undefined);
  }
  if (cpu?.value.request !== undefined) {
    if (shares) report.add('resource/cpu', 'ignored', 'request: os/linux/cpu-shares sets the CPU weight');
    else {
      // One CPU requested weighs as much as an app without request (100).
      const weight = quantityValue(cpu.value.request)! * 100;
      out.cpuWeight = Math.min(10000, Math.max(1, Math.round(weight)));
      cgroupOutcome(report, support, 'resource/cpu', 'cpu', `CPUWeight=${out.cpuWeight}`, out.cpuWeight !== weight ? `weight 100 per CPU requested, from ${cpu.value.request}` : undefined);
    }
  }
  const oom = findIsolator(list, 'os/linux/oom-score-adj');
  if (oom) {
    out.oomScoreAdjust = oom.value;
    report.add('os/linux/oom-score-adj', 'enforced', `OOMScoreAdjust=${oom.value}`);
  }
  for (const name of ['resource/block-bandwidth', 'resource/block-iops', 'resource/network-bandwidth']) {
    if (list.some((i) => i.name === name)) report.add(name, 'ignored', 'sprocket does not enforce bandwidth or I/O limits');
  }
  return out;
}

/** os/linux/selinux-context and apparmor-profile: an app's own, else the pod's. */
function macLabels(app: readonly Isolator[], pod: readonly Isolator[], support: HostSupport, report: Report, at: IsolatorSource) {
  const out: Pick<AppIsolation, 'selinuxContext' | 'apparmorProfile'> = {};
  const selinux = findIsolator(app, 'os/linux/selinux-context') ?? findIsolator(pod, 'os/linux/selinux-context');
  if (selinux) {
    const { user, role, type, level } = selinux.value;
    if (!support.selinux) report.add('os/linux/selinux-context', 'ignored', 'SELinux is not enabled on this host');
    else {
      out.selinuxContext = `${user}:${role}:${type}:${level}`;
      report.add('os/linux/selinux-context', 'enforced', `SELinuxContext=${out.selinuxContext}`);
    }
  }
  const apparmor = findIsolator(app, 'os/linux/apparmor-profile') ?? findIsolator(pod, 'os/linux/apparmor-profile');
  if (apparmor) {
    const profile = apparmor.value.profile;
    if (support.apparmorProfiles === null) report.add('os/linux/apparmor-profile', 'ignored', 'AppArmor is not enabled on this host');
    else if (!support.apparmorProfiles.includes(profile)) {
      throw invalid(`AppArmor profile ${JSON.stringify(profile)} is not loaded on this host`, { ...at, hint: 'load it with apparmor_parser, or remove the isolator' });
    } else {
      out.apparmorProfile = profile;
      report.add('os/linux/apparmor-profile', 'enforced', `AppArmorProfile=${profile}`);
    }
  }
  return out;
}

function capabilities(app: readonly Isolator[], report: Report): string[] {
  const retain = findIsolator(app, 'os/linux/capabilities-retain-set');
  const remove = findIsolator(app, 'os/linux/capabilities-remove-set');
  const wanted = retain ? retain.value.set : DEFAULT_CAPABILITIES.filter((c) => !remove?.value.set.includes(c));
  const granted = [...new Set(wanted)].filter((c) => NSPAWN_CAPABILITIES.includes(c));
  const name = retain ? retain.name : remove?.name;
  if (!name) return granted;
  const missing = wanted.filter((c) => !granted.includes(c));
  if (missing.length) report.add(name, 'modified', `CapabilityBoundingSet=${granted.join(' ')} (not in the pod's own bounding set: ${missing.join(' ')})`);
  else report.add(name, 'enforced', `CapabilityBoundingSet=${granted.join(' ') || '(none)'}`);
  return granted;
}

function seccomp(app: readonly Isolator[], withDefault: boolean, report: Report): AppIsolation['seccomp'] {
  const iso = findIsolator(app, 'os/linux/seccomp-retain-set') ?? findIsolator(app, 'os/linux/seccomp-remove-set');
  if (!iso) return undefined;
  const retain = iso.name === 'os/linux/seccomp-retain-set';
  const wildcard = retain ? '@appc.io/all' : '@appc.io/empty';
  const andDefault = withDefault ? ", and sprocket's default filter" : '';
  if (iso.value.set.includes(wildcard)) {
    report.add(iso.name, 'enforced', `${retain ? 'every syscall allowed' : 'no syscall removed'}: no filter of its own${andDefault}`);
    return undefined;
  }
  let errno = iso.value.errno || undefined;
  const notes: string[] = [];
  if (errno && !ERRNO_NAMES.has(errno)) {
    notes.push(`unknown errno ${errno}, EPERM instead`);
    errno = 'EPERM';
  }
  const filter = `SystemCallFilter=${retain ? '' : '~'}${iso.value.set.join(' ')}${andDefault}, ${errno ? `errno ${errno}` : 'killed by SIGSYS'}`;
  report.add(iso.name, notes.length ? 'modified' : 'enforced', notes.length ? `${filter} (${notes.join('; ')})` : filter);
  return { mode: retain ? 'allow' : 'deny', syscalls: iso.value.set, ...(errno ? { errno } : {}) };
}

/**
 * The isolation of one app from its isolators (and the pod's SELinux and
 * AppArmor labels, which apps inherit). Throws for what must not run: an
 * AppArmor profile that the host has not loaded. `seccompDefault`: the app
 * gets DEFAULT_SECCOMP_DENY too (src/pod/image-privilege.ts decides).
 */
export function appIsolation(app: readonly Isolator[], pod: readonly Isolator[], support: HostSupport, at: IsolatorSource, seccompDefault: boolean): AppIsolation {
  const report = new Report();
  const out = {
    ...resources(app, support, report),
    capabilities: capabilities(app, report),
    noNewPrivileges: findIsolator(app, 'os/linux/no-new-privileges')?.value ?? false,
    ...macLabels(app, pod, support, report, at),
  };
  if (app.some((i) => i.name === 'os/linux/no-new-privileges')) report.add('os/linux/no-new-privileges', 'enforced', `NoNewPrivileges=${out.noNewPrivileges ? 'yes' : 'no'}`);
  const filter = seccomp(app, seccompDefault, report);
  return AppIsolation.parse({ ...out, ...(filter ? { seccomp: filter } : {}), seccompDefault, report: report.entries });
}

/**
 * The pod's isolation: resources of the host unit, sysctls of the pod's
 * namespaces. A sysctl outside them would change the host: refused.
 */
export function podIsolation(pod: readonly Isolator[], network: 'host' | 'none' | 'contained', support: HostSupport, at: IsolatorSource): PodIsolation {
  const report = new Report();
  const out = resources(pod, support, report);
  const sysctls: Sysctl[] = [];
  for (const [key, value] of Object.entries(findIsolator(pod, 'os/unix/sysctl')?.value ?? {})) {
    const namespaced = IPC_SYSCTLS.test(key) || (network !== 'host' && key.startsWith('net.'));
    if (!namespaced) {
      throw invalid(`sysctl ${key} is not one of the pod's namespaces: setting it would change the host`, {
        ...at, hint: 'the pod may set IPC sysctls (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*), and net.* with a network of its own (not --net=host)',
      });
    }
    const parsed = Sysctl.safeParse({ key, value });
    if (!parsed.success) throw invalid(`sysctl ${key}: ${parsed.error.issues[0]!.message}`, at);
    sysctls.push(parsed.data);
  }
  if (sysctls.length) report.add('os/unix/sysctl', 'enforced', sysctls.map((s) => `${s.key}=${s.value}`).join(' '));
  for (const i of pod) {
    if (i.name === 'os/linux/selinux-context' || i.name === 'os/linux/apparmor-profile') report.add(i.name, 'enforced', 'applied to every app without its own');
    else if (!report.entries.some((e) => e.isolator === i.name)) report.add(i.name, 'ignored', 'not an isolator sprocket knows');
  }
  return PodIsolation.parse({ ...out, sysctls, report: report.entries });
}

/** Every isolator outcome of a plan that is not "enforced", with where it applies. */
export function notEnforced(plan: { isolation: PodIsolation; apps: { name: string; isolation: AppIsolation }[] }): { where: string; outcome: IsolatorOutcome }[] {
  return [
    ...plan.isolation.report.map((outcome) => ({ where: 'pod', outcome })),
    ...plan.apps.flatMap((a) => a.isolation.report.map((outcome) => ({ where: `app ${a.name}`, outcome }))),
  ].filter((e) => e.outcome.outcome !== 'enforced');
}

/** --strict-isolators: refuses a plan in which an isolator would be modified or ignored. */
export function requireEnforced(plan: Parameters<typeof notEnforced>[0], file: string): void {
  const weak = notEnforced(plan);
  if (!weak.length) return;
  const list = weak.map((w) => `${w.where}: ${w.outcome.isolator} ${w.outcome.outcome} (${w.outcome.detail})`).join('; ');
  throw new SprocketError('invalid', `isolators not enforced as given: ${list}`, { file, field: '--strict-isolators', hint: 'run without --strict-isolators to accept this' });
}

/** One line per isolator of the plan: where, what, outcome and how (run prints them). */
export function reportLines(plan: Parameters<typeof notEnforced>[0]): string[] {
  const line = (where: string) => (o: IsolatorOutcome) => `${where}: isolator ${o.isolator} ${o.outcome}: ${o.detail}`;
  return [...plan.isolation.report.map(line('pod')), ...plan.apps.flatMap((a) => a.isolation.report.map(line(`app ${a.name}`)))];
}
