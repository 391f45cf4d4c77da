// An app's health check (run --health-*, annotations sprocket.dev/health-*,
// docs/pods.md): what the plan holds, and how annotation values become it.
// The names follow podman's --health-* flags, which operators guess first.
import { z } from 'zod';

/** App annotations of a pod manifest (or image): run's --health-* flags. */
export const HEALTH_ANNOTATIONS = {
  cmd: 'sprocket.dev/health-cmd',
  interval: 'sprocket.dev/health-interval',
  timeout: 'sprocket.dev/health-timeout',
  startPeriod: 'sprocket.dev/health-start-period',
  retries: 'sprocket.dev/health-retries',
  onFailure: 'sprocket.dev/health-on-failure',
} as const;
export type HealthKey = keyof typeof HEALTH_ANNOTATIONS;

/** run's flag of each key. */
export const HEALTH_FLAGS: Record<HealthKey, string> = {
  cmd: '--health-cmd',
  interval: '--health-interval',
  timeout: '--health-timeout',
  startPeriod: '--health-start-period',
  retries: '--health-retries',
  onFailure: '--health-on-failure',
};

/**
 * What an unhealthy app gets. kill: SIGKILL, so the app has failed and its
 * restart policy decides (on-failure, always: started again; no: the pod
 * ends, as when any app fails); stop: the pod ends with a failure, so that
 * its own unit's Restart= applies; none: marked only.
 */
export const HEALTH_ACTIONS = ['kill', 'stop', 'none'] as const;
export const HealthAction = z.enum(HEALTH_ACTIONS);

const SPAN = /^(\d+(?:\.\d+)?)(ms|s|m|min|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
const SPAN_RULE = 'a time span like 500ms, 30s, 1m or 1h';

/** A time span (podman's 30s, 1m; systemd's 1min; a number alone is seconds) in whole milliseconds. */
export const HealthSpan = z.string().regex(SPAN, `must be ${SPAN_RULE}`)
  .transform((s) => {
    const [, n, unit] = SPAN.exec(s)!;
    return Math.round(Number(n) * UNIT_MS[unit ?? 's']!);
  })
  .refine((ms) => ms <= 86_400_000 * 365, 'must be at most a year');
const PositiveSpan = HealthSpan.refine((ms) => ms > 0, 'must be more than 0');

/**
 * The check's command: a JSON array of words (podman's ["CMD", "curl", ...]
 * form, "CMD" optional), else, as podman decides, a line for the app's
 * /bin/sh -c ("[ -e /ready ]" too). Its first word is an absolute path
 * inside the app's root.
 */
export const HealthCommand = z.string().min(1, 'must not be empty').transform((s, ctx) => {
  const words = jsonWords(s);
  if (!words) return ['/bin/sh', '-c', s];
  const argv = words[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', words.slice(1).join(' ')] : words[0] === 'CMD' ? words.slice(1) : words;
  if (!argv.length || !argv[0]!.startsWith('/')) {
    ctx.addIssue({ code: 'custom', message: 'its first word must be an absolute path inside the app\'s root' });
    return z.NEVER;
  }
  if (argv.some((w) => w.includes('\0'))) {
    ctx.addIssue({ code: 'custom', message: 'must not contain NUL' });
    return z.NEVER;
  }
  return argv;
});

/** The words of a JSON array of strings, else undefined. */
function jsonWords(s: string): string[] | undefined {
  try {
    const words: unknown = JSON.parse(s);
    return Array.isArray(words) && words.every((w) => typeof w === 'string') ? words : undefined;
  } catch {
    return undefined;
  }
}

export const HealthRetries = z.string().regex(/^[1-9]\d{0,3}$/, 'must be a whole number from 1 to 9999').transform(Number);

/** Each annotation's value: the schema that reads it. */
export const HEALTH_VALUES = {
  cmd: HealthCommand,
  interval: PositiveSpan,
  timeout: PositiveSpan,
  startPeriod: HealthSpan,
  retries: HealthRetries,
  onFailure: HealthAction,
} as const;

/** The health check of an app in the plan (podman's defaults). */
export const AppHealth = z.object({
  /** argv, run in the app's root as the app's unit runs its exec. */
  exec: z.array(z.string()).min(1),
  intervalMs: z.number().int().positive().default(30_000),
  timeoutMs: z.number().int().positive().default(30_000),
  /** Failures in this time after the app started are not counted. */
  startPeriodMs: z.number().int().min(0).default(0),
  /** Consecutive failures that make the app unhealthy. */
  retries: z.number().int().min(1).default(3),
  onFailure: HealthAction.default('kill'),
});
export type AppHealth = z.infer<typeof AppHealth>;

/** The pod's units of a checked app APP (stage1-nspawn/app-health.ts). */
export const healthUnitNames = (app: string) => ({
  /** Starts the checks: at once, then each interval after the last. */
  timer: `app-health@${app}.timer`,
  /** Runs one check and keeps the health (scripts/app-health): trusted, in the pod's own root. */
  keeper: `app-health@${app}.service`,
  /** The check itself, in the app's root as the app. */
  check: `app-check@${app}.service`,
  /** Part of the pod's start: done once the app is healthy. */
  ready: `app-healthy@${app}.service`,
});

/** What the app's unit pulls in for its health check: with every (re)start of the app. */
export const healthWants = (app: { name: string; health?: AppHealth | undefined }) => {
  if (!app.health) return [];
  const units = healthUnitNames(app.name);
  return [`Wants=${units.timer} ${units.ready}`];
};
