// The schemas of the pod's state file (state.ts) and of a pod's status
// (status.ts; `status --format json`, fields in docs/pods.md). Only writers
// load them: readers of these files (list, status) take the types alone
// and so never load zod (docs/performance.md).
import { z } from 'zod';
import { IsolatorOutcome } from '../../stage1-nspawn/isolators.js';
import { UidRange } from '../../stage1-nspawn/plan.js';
import { POD_STATE_NAMES, POD_STATUS_NAMES } from './state.js';

/** preparing → prepared → running → exited → garbage (→ removed). */
export const PodStateName = z.enum(POD_STATE_NAMES);
export type PodStateName = z.infer<typeof PodStateName>;

/** How a process ended, as systemd tells an ExecStopPost= command. */
export const ExitRecord = z.object({
  /** $SERVICE_RESULT: success, exit-code, signal, timeout ... */
  result: z.string(),
  /** $EXIT_CODE: exited, killed or dumped. */
  code: z.string(),
  /** $EXIT_STATUS: the exit status (code exited) or the signal name. */
  status: z.string(),
});
export type ExitRecord = z.infer<typeof ExitRecord>;

/** An app's health (run --health-cmd): as its last check left it (stage1-nspawn/app-health.ts). */
export const AppHealthStatus = z.object({
  /** starting: not healthy yet (no check passed since the app started); healthy; unhealthy: `retries` checks failed in a row. */
  state: z.enum(['starting', 'healthy', 'unhealthy']),
  /** Failed checks in a row (those of the start period apart). */
  failures: z.number().int(),
  /** When the last check ended. */
  checked: z.string().optional(),
  /** systemd's Result of the last check (success, exit-code, timeout, signal ...) and its exit status. */
  result: z.string().optional(),
  exitStatus: z.number().int().optional(),
  /** The last check's output (stdout and stderr, at most 4 KiB). */
  output: z.string().optional(),
});
export type AppHealthStatus = z.infer<typeof AppHealthStatus>;

export const AppStatus = z.object({
  name: z.string(),
  image: z.string(),
  /** The image's name, from the reified pod manifest. */
  imageName: z.string().optional(),
  /** prepared, running, listening (socket-activated, waiting for a connection), exited (ended by itself), stopped (ended by SIGTERM when the pod stopped), killed (another signal). */
  state: z.enum(['prepared', 'running', 'listening', 'exited', 'stopped', 'killed']),
  exitStatus: z.number().int().optional(),
  signal: z.string().optional(),
  result: z.string().optional(),
  /** How often the pod's systemd restarted the app (apps with a restart policy, run --restart). */
  restarts: z.number().int().optional(),
  health: AppHealthStatus.optional(),
  /** The names of the app's secrets (run --secret): never their files' contents. */
  secrets: z.array(z.string()).optional(),
  /** What became of each isolator of the app: enforced, modified or ignored, and how. */
  isolators: z.array(IsolatorOutcome).optional(),
});
export type AppStatus = z.infer<typeof AppStatus>;

/** One interface of a running contained pod: `networks=default:eth0:10.225.0.5` in status. */
export const PodNetworkStatus = z.object({ network: z.string(), interface: z.string(), ip: z.string().optional() });
export type PodNetworkStatus = z.infer<typeof PodNetworkStatus>;

/** The pod's log copier, when it ended without a stop (killed or stopped by an app, or failed) and was started again: status/app-log.service. */
export const LogCopierStatus = z.object({
  /** How often it ended so. */
  ends: z.number().int(),
  /** systemd's Result of the last such end: signal (killed), watchdog (stopped too long), exit-code ... */
  result: z.string(),
  exitStatus: z.number().int().optional(),
  signal: z.string().optional(),
  /** When it last ended so. */
  at: z.string(),
});
export type LogCopierStatus = z.infer<typeof LogCopierStatus>;

export const PodStatus = z.object({
  uuid: z.string(),
  name: z.string().optional(),
  state: z.enum(POD_STATUS_NAMES),
  unit: z.string(),
  machine: z.string(),
  /** yes: the pod runs in a user namespace of its own, its root uid `uidRange.base` on the host; no: its root is the host's (--private-users=no). */
  privateUsers: z.enum(['yes', 'no']).optional(),
  uidRange: UidRange.optional(),
  /** PID (on the host) of the pod's nspawn while it runs. */
  pid: z.number().int().optional(),
  created: z.string(),
  started: z.string().optional(),
  exited: z.string().optional(),
  /** The pod's exit status: the first failed app's, else 0. */
  exitStatus: z.number().int().optional(),
  /** Set when the pod was ended by a signal (stop --force). */
  signal: z.string().optional(),
  /** Set when the pod failed as a whole although nspawn exited 0 (no exitStatus then): shutdown, its systemd shut down without a stop or its apps' end (src/pod/pod-end.ts). */
  failure: z.enum(['shutdown']).optional(),
  /** Its log copier's ends that no stop asked for (each followed by a restart). */
  logCopier: LogCopierStatus.optional(),
  apps: z.array(AppStatus),
  /** Why the state is what it is, when the stored state alone would mislead. */
  note: z.string().optional(),
  /** While running: whether a foreground `sprocket run` follows the pod (false after -d, or when that run was killed). */
  attached: z.boolean().optional(),
  /** What became of each pod isolator. */
  isolators: z.array(IsolatorOutcome).optional(),
  /** While running, a pod of its own network: its interface and address on each network. */
  networks: z.array(PodNetworkStatus).optional(),
});
export type PodStatus = z.infer<typeof PodStatus>;

const Time = z.iso.datetime();

export const PodState = z.object({
  state: PodStateName,
  /** The pod's name (--name), unique among live pods. */
  name: z.string().optional(),
  created: Time,
  started: Time.optional(),
  exited: Time.optional(),
  /** When the pod was found exited and marked for collection. */
  garbageSince: Time.optional(),
  /** The host uids and gids of the pod's user namespace, held while the pod exists (src/pod/uid-range.ts); absent with --private-users=no. */
  uidRange: UidRange.optional(),
  /**
   * The pod's status as it ended, recorded with its end: an exited pod's
   * status is this (with the state of the file), read from this one file.
   */
  final: PodStatus.optional(),
});
export type PodState = z.infer<typeof PodState>;
