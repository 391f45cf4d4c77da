// Limits every pod gets unless told otherwise (docs/isolators.md, "Pod
// limits"): its number of tasks, its open files, and a journal rate limit
// of its own. Given with run's and prepare's flags (or the [Pod] keys of a
// pod unit file), each replacing its default; resolved into the plan's
// isolation and written where the pod's isolators go: properties of its
// host unit, or lines of an inline pod's service (the generator); the open
// files limit also as the pod's systemd's default for its units, since that
// systemd raises its services' hard limit past its own (systemd 252).
import { z } from 'zod';
import type { UnitProperties } from '../src/systemd/unit-properties.js';

/** A systemd time span in whole units (us, ms, s, min, h; a number alone is seconds). */
const TIME_SPAN = /^(\d+)(us|ms|s|min|h)?$/;
const USEC: Record<string, number> = { us: 1, ms: 1e3, s: 1e6, min: 60e6, h: 3600e6 };
/** The kernel's ceiling of RLIMIT_NOFILE (fs.nr_open can be raised no further). */
const NR_OPEN_MAX = 1073741816;

const TASKS = 'must be a positive number of tasks or infinity';
const NOFILE = 'must be a positive number of open files';
const BURST = 'must be a number of messages (0: no rate limit), below 2^32';

/** As given: each field replaces its default. */
export const PodLimitsRequest = z.object({
  tasksMax: z.union([z.number().int({ error: TASKS }).positive({ error: TASKS }), z.literal('infinity')], { error: TASKS }),
  nofile: z.number({ error: NOFILE }).int({ error: NOFILE }).positive({ error: NOFILE }).max(NR_OPEN_MAX, { error: `${NOFILE}, at most ${NR_OPEN_MAX}` }),
  logRateLimitInterval: z.string().regex(TIME_SPAN, 'must be a time span like 30s, 500ms or 1min (0: no rate limit)'),
  logRateLimitBurst: z.number({ error: BURST }).int({ error: BURST }).nonnegative({ error: BURST }).max(2 ** 32 - 1, { error: BURST }),
}).partial();
export type PodLimitsRequest = z.infer<typeof PodLimitsRequest>;

/** The flags of run and prepare that set them, with the [Pod] keys of pod unit files (systemd's names). */
export const POD_LIMIT_FLAGS: Record<keyof PodLimitsRequest, { flag: string; key: string }> = {
  tasksMax: { flag: '--tasks-max', key: 'TasksMax' },
  nofile: { flag: '--limit-nofile', key: 'LimitNOFILE' },
  logRateLimitInterval: { flag: '--log-rate-limit-interval', key: 'LogRateLimitIntervalSec' },
  logRateLimitBurst: { flag: '--log-rate-limit-burst', key: 'LogRateLimitBurst' },
};

/**
 * The defaults: podman's pids limit doubled (its 2048 counts a container's
 * processes; a pod also has its systemd and the log copier), the open-files
 * hard limit systemd gives services (soft 1024, for select(2)), and
 * journald's own default rate (which the host's journald.conf could lift).
 */
export const DEFAULT_POD_LIMITS = { tasksMax: 4096, nofile: 524288, logRateLimitInterval: '30s', logRateLimitBurst: 10000 } as const;

/** Resolved, in the plan (plan.isolation.limits). */
export const PodLimits = z.object({
  tasksMax: PodLimitsRequest.shape.tasksMax.unwrap(),
  nofile: PodLimitsRequest.shape.nofile.unwrap(),
  logRateLimitIntervalUSec: z.number().int().nonnegative(),
  logRateLimitBurst: PodLimitsRequest.shape.logRateLimitBurst.unwrap(),
});
export type PodLimits = z.infer<typeof PodLimits>;

/** Defaults with the request's own values (already checked against PodLimitsRequest). */
export function podLimits(request: PodLimitsRequest = {}): PodLimits {
  const l = { ...DEFAULT_POD_LIMITS, ...request };
  const [, n, unit] = TIME_SPAN.exec(l.logRateLimitInterval)!;
  return { tasksMax: l.tasksMax, nofile: l.nofile, logRateLimitIntervalUSec: Number(n) * USEC[unit ?? 's']!, logRateLimitBurst: l.logRateLimitBurst };
}

/** What an app gets (soft:hard): the hard limit, and a soft one of 1024 at most. */
const nofileSoft = (l: PodLimits) => Math.min(1024, l.nofile);

/** Properties of the pod's host unit. */
export function podLimitProperties(l: PodLimits): UnitProperties {
  return {
    TasksMax: l.tasksMax,
    LimitNOFILE: l.nofile,
    LimitNOFILESoft: nofileSoft(l),
    LogRateLimitIntervalUSec: l.logRateLimitIntervalUSec,
    LogRateLimitBurst: l.logRateLimitBurst,
  };
}

/** The same as [Service] lines of an inline pod's service. */
export function podLimitLines(l: PodLimits): string[] {
  return [
    `TasksMax=${l.tasksMax}`,
    `LimitNOFILE=${nofileSoft(l)}:${l.nofile}`,
    `LogRateLimitIntervalSec=${l.logRateLimitIntervalUSec}us`,
    `LogRateLimitBurst=${l.logRateLimitBurst}`,
  ];
}

/** Inside the pod: the pod's systemd's defaults for its units (apps, the log copier). */
export const LIMITS_CONF = 'etc/systemd/system.conf.d/sprocket-limits.conf';
export const limitsConf = (l: PodLimits) => `[Manager]\nDefaultLimitNOFILE=${nofileSoft(l)}:${l.nofile}\n`;
