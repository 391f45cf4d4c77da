// Isolators (spec/ace.md, plus os/linux/oom-score-adj, cpu-shares and
// apparmor-profile of the reference implementation). Each name has its own
// value schema; the list rules (once only, mutually exclusive) are checked
// by isolatorList. Which scope an isolator may run at, and the capability
// names Linux knows, are runnable.ts's: a manifest that names another scope
// or capability validates, as with actool.
import { z } from 'zod';
import { AcIdentifier } from './identifiers.js';
import { goObject, stringList } from './go-object.js';
import { Quantity } from './quantity.js';
import { SYSTEMD_SYSCALL_GROUPS } from './syscall-groups.js';

const q = JSON.stringify;

/** Linux capabilities, as capabilities(7) names them. */
export const LINUX_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

const nonEmptySet = <T extends z.ZodType<string>>(item: T) => stringList(item).min(1, { error: 'the set must not be empty' });

/** Resources with request and limit; `default` is not theirs to set. */
const requestLimit = goObject({
  request: Quantity.optional(),
  limit: Quantity.optional(),
  default: z.literal(false, { error: 'default must be false (or absent) for this resource' }).optional(),
});
/** Per-device resources: only `default: true` is defined, and no request. */
const defaultLimit = goObject({
  default: z.literal(true, { error: 'default must be true' }),
  limit: Quantity.optional(),
  request: z.undefined({ error: 'request is not supported by this resource' }).optional(),
});

/** Any names (actool's rule); those Linux does not know are refused at run (runnable.ts). */
const capabilitySet = goObject({ set: nonEmptySet(z.string()) });

// Reserved wildcards: each has a meaning in one of the two sets only.
const seccompSet = (wildcard: string) =>
  goObject({
    set: nonEmptySet(
      z.string().superRefine((s, ctx) => {
        const group = s.startsWith('@') && !s.includes('/');
        if (group ? SYSTEMD_SYSCALL_GROUPS.includes(s) : s.startsWith('@appc.io/') ? s === wildcard : /^(@[^/\s]+(\/[^/\s]+)+|[a-z_][a-z0-9_]*)$/.test(s)) return;
        ctx.addIssue({
          code: 'custom',
          input: s,
          message: group
            ? `${q(s)} is not a systemd syscall group (systemd 252 knows ${SYSTEMD_SYSCALL_GROUPS.join(' ')})`
            : s.startsWith('@') ? `${q(s)} is not a wildcard of this set (${wildcard} is)` : `${q(s)} is not a syscall name`,
        });
      }),
    ),
    // Empty means: kill with SIGSYS. An unknown but well-formed name may be
    // ignored by the executor (spec/ace.md), so only the form is checked.
    errno: z
      .string()
      .regex(/^(E[A-Z0-9]+)?$/, { error: (i) => `${q(i.input)} is not an errno name (all uppercase, like EPERM)` })
      .optional(),
  });

const selinuxPart = (part: string, colonFree: boolean) =>
  z.string().refine((s) => s !== '' && !(colonFree && s.includes(':')), {
    error: (i) => `${q(i.input)} is not a SELinux ${part} (not empty${colonFree ? ', no ":"' : ''})`,
  });

const integerIn = (min: number, max: number) =>
  z.number().refine((n) => Number.isInteger(n) && n >= min && n <= max, {
    error: (i) => `${q(i.input)} is not an integer from ${min} to ${max}`,
  });

/** Where an isolator may appear, per spec/ace.md. */
export type IsolatorScope = 'app' | 'pod';

const isolator = <N extends string, V extends z.ZodType>(name: N, value: V) => z.looseObject({ name: z.literal(name), value });

const selinuxContext = goObject({
  user: selinuxPart('user', true),
  role: selinuxPart('role', true),
  type: selinuxPart('type', true),
  level: selinuxPart('level', false),
});
const apparmorProfile = goObject({ profile: z.string().min(1, { error: 'the profile name must not be empty' }) });
const sysctl = z.record(z.string().min(1, { error: 'a sysctl key must not be empty' }), z.string());

/** An isolator whose name this spec version defines, with its value typed. */
export const KnownIsolator = z.discriminatedUnion('name', [
  isolator('resource/cpu', requestLimit),
  isolator('resource/memory', requestLimit),
  isolator('resource/block-bandwidth', defaultLimit),
  isolator('resource/block-iops', defaultLimit),
  isolator('resource/network-bandwidth', defaultLimit),
  isolator('os/linux/capabilities-retain-set', capabilitySet),
  isolator('os/linux/capabilities-remove-set', capabilitySet),
  isolator('os/linux/no-new-privileges', z.boolean()),
  isolator('os/linux/seccomp-retain-set', seccompSet('@appc.io/all')),
  isolator('os/linux/seccomp-remove-set', seccompSet('@appc.io/empty')),
  isolator('os/linux/selinux-context', selinuxContext),
  isolator('os/linux/apparmor-profile', apparmorProfile),
  isolator('os/unix/sysctl', sysctl),
  isolator('os/linux/oom-score-adj', integerIn(-1000, 1000)),
  isolator('os/linux/cpu-shares', integerIn(2, 262144)),
]);
export type KnownIsolator = z.infer<typeof KnownIsolator>;
export type IsolatorName = KnownIsolator['name'];
/** An isolator of a name sprocket does not know (allowed in pods only). */
export type UnknownIsolator = { name: string; value: unknown; [k: string]: unknown };
export type Isolator = KnownIsolator | UnknownIsolator;

// Scopes from spec/ace.md; oom-score-adj and cpu-shares are not in its
// text, so they are allowed in both. A manifest may name another scope
// (actool takes it); runnable.ts refuses to run it.
const APP_ONLY = ['app'] as const;
export const ISOLATOR_SCOPES: Record<IsolatorName, readonly IsolatorScope[]> = {
  'resource/cpu': ['app', 'pod'],
  'resource/memory': ['app', 'pod'],
  'resource/block-bandwidth': ['app', 'pod'],
  'resource/block-iops': ['app', 'pod'],
  'resource/network-bandwidth': ['app', 'pod'],
  'os/linux/capabilities-retain-set': APP_ONLY,
  'os/linux/capabilities-remove-set': APP_ONLY,
  'os/linux/no-new-privileges': APP_ONLY,
  'os/linux/seccomp-retain-set': APP_ONLY,
  'os/linux/seccomp-remove-set': APP_ONLY,
  'os/linux/selinux-context': ['app', 'pod'],
  'os/linux/apparmor-profile': ['app', 'pod'],
  'os/unix/sysctl': ['pod'],
  'os/linux/oom-score-adj': ['app', 'pod'],
  'os/linux/cpu-shares': ['app', 'pod'],
};

/** Names of every isolator defined, in the order of the spec. */
export const ISOLATOR_NAMES = Object.keys(ISOLATOR_SCOPES) as IsolatorName[];
const isKnown = (name: string): name is IsolatorName => Object.hasOwn(ISOLATOR_SCOPES, name);

// Only once per list: in an app, what actool refuses twice (the seccomp sets,
// labels, oom-score-adj, cpu-shares); in a pod, what spec/ace.md says once
// per pod (labels, sysctl; actool takes them twice there).
const ONCE: Record<IsolatorScope, ReadonlySet<string>> = {
  app: new Set(['os/linux/seccomp-retain-set', 'os/linux/seccomp-remove-set', 'os/linux/selinux-context', 'os/linux/apparmor-profile', 'os/linux/oom-score-adj', 'os/linux/cpu-shares']),
  pod: new Set(['os/linux/selinux-context', 'os/linux/apparmor-profile', 'os/unix/sysctl']),
};
// Pairs that cannot be combined (spec/ace.md; actool checks the seccomp pair only).
const EXCLUSIVE: readonly (readonly [string, string])[] = [
  ['os/linux/capabilities-retain-set', 'os/linux/capabilities-remove-set'],
  ['os/linux/seccomp-retain-set', 'os/linux/seccomp-remove-set'],
];

/**
 * One isolator of an app or a pod in a manifest: known names get their
 * value checked; unknown ones are an error in apps. (runnable.ts's
 * isolatorIn also asks that sprocket can apply it: the command line's.)
 */
export const validIsolatorIn = (scope: IsolatorScope) =>
  goObject({ name: AcIdentifier, value: z.unknown() }).transform((iso, ctx): Isolator => {
    if (!isKnown(iso.name)) {
      if (scope === 'pod') return iso;
      ctx.issues.push({ code: 'custom', path: ['name'], input: iso.name, message: `${q(iso.name)} is not a known isolator (known: ${ISOLATOR_NAMES.join(', ')})` });
      return z.NEVER;
    }
    const r = KnownIsolator.safeParse(iso, { reportInput: true });
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.issues.push(issue as (typeof ctx.issues)[number]);
    return z.NEVER;
  });

/** The isolators of an app or a pod, with the rules that span the list. */
export const isolatorList = (scope: IsolatorScope) =>
  z.array(validIsolatorIn(scope)).superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((iso, i) => {
      const clash = EXCLUSIVE.find((pair) => pair.includes(iso.name));
      const other = clash?.find((n) => n !== iso.name && seen.has(n));
      if (seen.has(iso.name) && ONCE[scope].has(iso.name)) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], input: iso.name, message: `${iso.name} may be given only once ${scope === 'app' ? 'per app' : 'per pod'}` });
      } else if (other) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], input: iso.name, message: `${iso.name} cannot be combined with ${other} (isolators[${seen.get(other)}])` });
      }
      if (!seen.has(iso.name)) seen.set(iso.name, i);
    });
  });

/** The last isolator of that name in a list (later ones override), typed by its name. */
export function findIsolator<N extends IsolatorName>(list: readonly Isolator[] | undefined, name: N): Extract<KnownIsolator, { name: N }> | undefined {
  const named = list?.filter((i) => i.name === name) ?? [];
  return named[named.length - 1] as Extract<KnownIsolator, { name: N }> | undefined;
}
