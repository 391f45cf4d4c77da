// Properties of a transient unit as a plain object, and their D-Bus wire
// form: (name, signature, value) triples that src/systemd/bus.ts wraps in
// variants. Every property systemd accepts in StartTransientUnit has one
// fixed signature; a property sprocket does not know yet must be added here.
import { z } from 'zod';
import { invalid } from '../errors.js';
import { ENV_NAME } from '../spec/patterns.js';

/** One command line: path of the binary, argv including argv[0]. */
export const ExecCommandSchema = z.object({
  path: z.string().startsWith('/', 'must be an absolute path'),
  argv: z.array(z.string()).min(1, 'must hold at least argv[0]'),
  /** Like the "-" prefix in a unit file: a failure is not a failure. */
  ignoreFailure: z.boolean().default(false),
});
export type ExecCommand = z.input<typeof ExecCommandSchema>;

const commands = z.array(ExecCommandSchema).min(1);
const word = z.string().min(1);
// Journal field names: upper case, digits, underscore; not starting with _.
const journalField = /^[A-Z0-9][A-Z0-9_]*$/;
const u64 = z.union([z.bigint().nonnegative(), z.number().int().nonnegative(), z.literal('infinity')]);

export const UnitPropertiesSchema = z
  .object({
    Description: z.string(),
    // [Unit]
    Wants: z.array(word),
    Requires: z.array(word),
    BindsTo: z.array(word),
    After: z.array(word),
    Before: z.array(word),
    CollectMode: z.enum(['inactive', 'inactive-or-failed']),
    SuccessAction: z.string(),
    FailureAction: z.string(),
    // [Service]
    Type: z.enum(['simple', 'exec', 'forking', 'oneshot', 'dbus', 'notify', 'idle']),
    ExecStart: commands,
    ExecStartPre: commands,
    ExecStartPost: commands,
    ExecStop: commands,
    ExecStopPost: commands,
    RemainAfterExit: z.boolean(),
    SuccessExitStatus: z.array(z.number().int().min(0).max(255)),
    Restart: z.enum(['no', 'on-success', 'on-failure', 'on-abnormal', 'on-watchdog', 'on-abort', 'always']),
    NotifyAccess: z.enum(['none', 'main', 'exec', 'all']),
    TimeoutStartUSec: u64,
    TimeoutStopUSec: u64,
    // [Service] execution environment
    Environment: z.record(z.string().regex(ENV_NAME, 'is not an environment variable name'), z.string()),
    WorkingDirectory: z.string(),
    RootDirectory: z.string(),
    User: z.string(),
    Group: z.string(),
    SyslogIdentifier: z.string(),
    StandardInput: z.enum(['null', 'tty', 'tty-force', 'tty-fail', 'socket']),
    StandardOutput: z.enum(['inherit', 'null', 'tty', 'journal', 'kmsg', 'journal+console', 'kmsg+console', 'socket']),
    StandardError: z.enum(['inherit', 'null', 'tty', 'journal', 'kmsg', 'journal+console', 'kmsg+console', 'socket']),
    /** StandardInput=file:PATH / StandardOutput=file:PATH (a terminal, say: no controlling tty is taken). */
    StandardInputFile: z.string().startsWith('/'),
    StandardOutputFile: z.string().startsWith('/'),
    LogExtraFields: z.record(z.string().regex(journalField, 'is not a journal field name'), z.string()),
    NoNewPrivileges: z.boolean(),
    OOMScoreAdjust: z.number().int().min(-1000).max(1000),
    // [Service] kill and cgroup
    KillMode: z.enum(['control-group', 'mixed', 'process', 'none']),
    KillSignal: z.number().int().min(1).max(64),
    SendSIGKILL: z.boolean(),
    Slice: z.string().endsWith('.slice'),
    Delegate: z.boolean(),
    MemoryMax: u64,
    MemoryLow: u64,
    CPUWeight: u64,
    CPUQuotaPerSecUSec: u64,
    TasksMax: u64,
    DevicePolicy: z.enum(['auto', 'closed', 'strict']),
    /** (device path or class such as char-pts, access: r, w, m) */
    DeviceAllow: z.array(z.tuple([word, z.string().regex(/^[rwm]+$/, 'must be made of r, w and m')])),
    // [Service] resource limits and the journal's rate limit for the unit
    LimitNOFILE: u64,
    LimitNOFILESoft: u64,
    LogRateLimitIntervalUSec: u64,
    LogRateLimitBurst: z.number().int().nonnegative().max(2 ** 32 - 1),
  })
  .partial()
  .strict();

export type UnitProperties = z.input<typeof UnitPropertiesSchema>;

/** A property as it goes over D-Bus: name, D-Bus signature, value. */
export type WireProperty = [name: string, signature: string, value: unknown];

const UINT64_MAX = 2n ** 64n - 1n;
const toU64 = (v: z.infer<typeof u64>) => (v === 'infinity' ? UINT64_MAX : BigInt(v));
const toCommands = (cs: z.infer<typeof commands>) => cs.map((c) => [c.path, c.argv, c.ignoreFailure]);
const toPairs = (r: Record<string, string>) => Object.entries(r).map(([k, v]) => `${k}=${v}`);

type Parsed = z.infer<typeof UnitPropertiesSchema>;
type Encoder<K extends keyof Parsed> = [signature: string, encode: (v: NonNullable<Parsed[K]>) => unknown];
const id = <T>(v: T) => v;

// The D-Bus signature of every property (systemd's org.freedesktop.systemd1(5)).
const ENCODERS: { [K in keyof Parsed]-?: Encoder<K> } = {
  Description: ['s', id],
  Wants: ['as', id],
  Requires: ['as', id],
  BindsTo: ['as', id],
  After: ['as', id],
  Before: ['as', id],
  CollectMode: ['s', id],
  SuccessAction: ['s', id],
  FailureAction: ['s', id],
  Type: ['s', id],
  ExecStart: ['a(sasb)', toCommands],
  ExecStartPre: ['a(sasb)', toCommands],
  ExecStartPost: ['a(sasb)', toCommands],
  ExecStop: ['a(sasb)', toCommands],
  ExecStopPost: ['a(sasb)', toCommands],
  RemainAfterExit: ['b', id],
  // (exit statuses, signals)
  SuccessExitStatus: ['(aiai)', (v) => [v, []]],
  Restart: ['s', id],
  NotifyAccess: ['s', id],
  TimeoutStartUSec: ['t', toU64],
  TimeoutStopUSec: ['t', toU64],
  Environment: ['as', toPairs],
  WorkingDirectory: ['s', id],
  RootDirectory: ['s', id],
  User: ['s', id],
  Group: ['s', id],
  SyslogIdentifier: ['s', id],
  StandardInput: ['s', id],
  StandardOutput: ['s', id],
  StandardError: ['s', id],
  StandardInputFile: ['s', id],
  StandardOutputFile: ['s', id],
  LogExtraFields: ['aay', (v) => toPairs(v).map((p) => Buffer.from(p))],
  NoNewPrivileges: ['b', id],
  OOMScoreAdjust: ['i', id],
  KillMode: ['s', id],
  KillSignal: ['i', id],
  SendSIGKILL: ['b', id],
  Slice: ['s', id],
  Delegate: ['b', id],
  MemoryMax: ['t', toU64],
  MemoryLow: ['t', toU64],
  CPUWeight: ['t', toU64],
  CPUQuotaPerSecUSec: ['t', toU64],
  TasksMax: ['t', toU64],
  DevicePolicy: ['s', id],
  DeviceAllow: ['a(ss)', id],
  LimitNOFILE: ['t', toU64],
  LimitNOFILESoft: ['t', toU64],
  LogRateLimitIntervalUSec: ['t', toU64],
  LogRateLimitBurst: ['u', id],
};

/**
 * Checks the properties of unit `unit` and turns them into their wire form.
 * Throws an 'invalid' SprocketError naming the unit and the property.
 */
export function wireProperties(unit: string, properties: UnitProperties): WireProperty[] {
  const parsed = UnitPropertiesSchema.safeParse(properties);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.') || undefined;
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown unit property ${issue.keys.join(', ')}`
        : issue.code === 'invalid_key' // a record key: the key's own issue says what is wrong
          ? (issue.issues[0]?.message ?? issue.message)
          : issue.message;
    throw invalid(message, { file: unit, field });
  }
  return Object.entries(parsed.data).flatMap(([name, value]) => {
    if (value === undefined) return [];
    const [signature, encode] = ENCODERS[name as keyof Parsed] as Encoder<keyof Parsed>;
    return [[name, signature, encode(value as never)] as WireProperty];
  });
}
