// A pod's log as `sprocket logs` and the foreground run show it: its apps'
// lines and sprocket's events about it. Every app can write to the host's
// journal socket and set any field it likes (SPROCKET_POD=, SYSLOG_IDENTIFIER=,
// MESSAGE=), so an entry is placed only by what journald records itself
// about the writer: its cgroup, uid and transport.
import type { JournalEntry, JournalQuery } from './read.js';
import type { Syscalls } from '../syscalls.js';
import { SYSLOG_IDENTIFIER } from './events.js';
import { isAcName, isUuid } from '../spec/patterns.js';
import { APP_LOG_UNIT_NAME, COPIER_EVENT } from '../../stage1-nspawn/app-log.js';
import { podUnit } from '../../stage1-nspawn/plan.js';

/** The pod whose log is read: its UUID, host unit and, when its directory is still there, its apps. */
export interface PodLogSource {
  uuid: string;
  unit: string;
  /** An inline pod's run of the operator's service (docs/units.md): only that run's entries are the pod's. */
  invocation?: string;
  apps?: string[];
  /** The host uid of the pod's root: the base of its range in a user namespace (plan privateUsers), else 0. */
  root?: number;
}

/**
 * Where an entry of the pod comes from: an app (its output, copied by the
 * pod's app-log.service, or what it wrote to the journal itself from its own
 * unit), the pod's stage1 (nspawn's console: the pod's systemd booting and
 * stopping), or sprocket's own lifecycle event about the pod.
 */
export type PodLogLine =
  | { origin: 'app'; app: string; entry: JournalEntry }
  | { origin: 'stage1'; entry: JournalEntry }
  | { origin: 'event'; entry: JournalEntry };

export interface PodLogOptions {
  /** Only this app's lines (events and stage1 lines are left out). */
  app?: string;
  /** Also the pod's stage1 console (nspawn, the pod's systemd). */
  stage1?: boolean;
  since?: string;
  /** The last N lines that are shown (counted after selection). */
  lines?: number;
  follow?: boolean;
  signal?: AbortSignal;
  /** Called for every entry of the pod that is read, shown or not. */
  seen?: () => void;
  /** Called when the lines there were are read and following starts. */
  following?: () => void;
}

const field = (e: JournalEntry, name: string) => (typeof e[name] === 'string' ? (e[name] as string) : undefined);

/** Whether a cgroup path component is a pod's host unit, sprocket-<uuid>.service. */
function isPodUnit(name: string): boolean {
  const uuid = /^sprocket-(.*)\.service$/.exec(name)?.[1];
  return uuid !== undefined && isUuid(uuid) && name === podUnit(uuid);
}

/**
 * The app of a line written from `unit` of a pod's systemd: the pod's copier
 * (app-log.service) writes every app's output, each app's streams under the
 * app's name; a pod of an earlier sprocket had a copier per app
 * (app-log@APP.service); an app's own unit is the app's (what it wrote to
 * the journal itself). `copied`: written by a copier, so an app's line even
 * when the pod's apps are not known any more.
 */
function appOf(e: JournalEntry, unit: string): { name: string; copied: boolean } | undefined {
  if (unit === APP_LOG_UNIT_NAME) {
    const name = field(e, 'SYSLOG_IDENTIFIER');
    return name !== undefined && field(e, '_TRANSPORT') === 'stdout' && isAcName(name) ? { name, copied: true } : undefined;
  }
  const perApp = /^app-log@(.+)\.service$/.exec(unit)?.[1];
  return perApp ? { name: perApp, copied: true } : { name: unit.replace(/\.service$/, ''), copied: false };
}

/**
 * The origin of one journal entry in the log of `pod`, or undefined when it
 * is not the pod's. App lines: journald saw the writer in the pod's own
 * unit, in the cgroup of an app's unit (or of the copier, which names the
 * app in the stream's identifier) under nspawn's payload. Events: written through the native protocol by root, from a
 * process journald found outside every pod and machine (machine.slice), or
 * (health events) in the pod's app-health@APP.service about app APP, or
 * (the log copier's ends) in its app-log.service: apps
 * run with /sys/fs/cgroup read-only and without CAP_SYS_ADMIN, so none can
 * enter that unit's cgroup (docs/journal.md).
 * An entry whose writer's cgroup journald could not read (the writer was
 * gone) is nobody's: an app could otherwise forge by exiting at once.
 */
export function podLogOrigin(e: JournalEntry, pod: PodLogSource): PodLogLine | undefined {
  const cgroup = field(e, '_SYSTEMD_CGROUP');
  if (cgroup === undefined) return undefined;
  const parts = cgroup.split('/').filter(Boolean);
  const at = parts.indexOf(pod.unit);
  const claimsEvent =
    field(e, 'SPROCKET_POD') === pod.uuid &&
    field(e, 'SYSLOG_IDENTIFIER') === SYSLOG_IDENTIFIER &&
    field(e, '_TRANSPORT') === 'journal';
  // From the host's root; a health event from the pod's root, which in a user namespace is not the host's.
  const sprocketEvent = claimsEvent && field(e, '_UID') === '0';
  const podEvent = claimsEvent && field(e, '_UID') === String(pod.root ?? 0);
  if (at >= 0 && field(e, '_SYSTEMD_UNIT') === pod.unit && (!pod.invocation || field(e, '_SYSTEMD_INVOCATION_ID') === pod.invocation)) {
    if (parts[at + 1] === 'payload') {
      const unit = parts[parts.length - 1]!;
      // A health event: from the keeper of the app's health, a unit of the pod's systemd that no process of an app can enter.
      const keeper = /^app-health@(.+)\.service$/.exec(unit)?.[1];
      if (keeper !== undefined && podEvent && field(e, 'SPROCKET_APP') === keeper && (!pod.apps || pod.apps.includes(keeper))) return { origin: 'event', entry: e };
      // An end of the log copier, recorded from the copier's own unit (its ExecStopPost=), which no process of an app can enter either.
      if (unit === APP_LOG_UNIT_NAME && podEvent && field(e, 'SPROCKET_EVENT') === COPIER_EVENT) return { origin: 'event', entry: e };
      const app = appOf(e, unit);
      if (app && (pod.apps ? pod.apps.includes(app.name) : app.copied)) return { origin: 'app', app: app.name, entry: e };
    }
    // An inline pod's sprocket writes its events from its service's own cgroup, before nspawn (supervisor/, payload/) runs there.
    if (pod.invocation && at === parts.length - 1 && sprocketEvent) return { origin: 'event', entry: e };
    return { origin: 'stage1', entry: e };
  }
  // Every pod's apps run under a payload/ cgroup (nspawn's), an inline pod's too, outside machine.slice.
  const outsidePods = !parts.some((p) => p === 'machine.slice' || p === 'payload' || isPodUnit(p));
  if (outsidePods && sprocketEvent) return { origin: 'event', entry: e };
  return undefined;
}

const shown = (l: PodLogLine, o: PodLogOptions) => (o.app !== undefined ? l.origin === 'app' && l.app === o.app : l.origin !== 'stage1' || Boolean(o.stage1));

/**
 * The lines of a pod's log, oldest first; with follow, then every new one
 * until the consumer stops or the signal aborts. journalctl selects the
 * pod's unit and the entries that claim the pod; podLogOrigin decides.
 */
export async function* podLog(sys: Pick<Syscalls, 'journal'>, pod: PodLogSource, o: PodLogOptions = {}): AsyncGenerator<PodLogLine> {
  const query: JournalQuery = {
    any: [{ _SYSTEMD_UNIT: pod.unit, ...(pod.invocation ? { _SYSTEMD_INVOCATION_ID: pod.invocation } : {}) }, { SPROCKET_POD: pod.uuid, SYSLOG_IDENTIFIER }],
    ...(o.since ? { since: o.since } : {}),
  };
  // What is there now, of which the last N lines; then, followed, what comes after the last entry read.
  const kept: PodLogLine[] = [];
  let cursor: string | undefined;
  for await (const e of sys.journal(query, { signal: o.signal })) {
    cursor = field(e, '__CURSOR') ?? cursor;
    const l = podLogOrigin(e, pod);
    if (!l || !shown(l, o)) continue;
    kept.push(l);
    if (o.lines !== undefined && kept.length >= 2 * o.lines) kept.splice(0, kept.length - o.lines);
  }
  yield* o.lines !== undefined ? kept.slice(-o.lines) : kept;
  if (!o.follow) return;
  // After the last entry read (journalctl takes a cursor or a time, not both); with nothing read yet, everything that comes is new.
  const { since: _, ...matches } = query;
  const after = cursor ? { ...matches, afterCursor: cursor } : query;
  o.following?.();
  for await (const e of sys.journal(after, { follow: true, signal: o.signal })) {
    const l = podLogOrigin(e, pod);
    if (l) o.seen?.();
    if (l && shown(l, o)) yield l;
  }
}

/**
 * After a pod ended, its last lines may still be on their way through
 * journald (stream sockets are read asynchronously): reading goes on until
 * the journal has been quiet this long (ms), at most DRAIN_MAX_MS.
 */
const QUIET_MS = 400;
const DRAIN_MAX_MS = 3000;

/**
 * podLog followed until `ended` resolves (the pod has exited) and its last
 * lines are read: the journal quiet for QUIET_MS, DRAIN_MAX_MS at most; or
 * until o.signal aborts. Every entry of the pod, shown or not, keeps the
 * drain going (the console's lines, while the pod shuts down).
 */
export async function* podLogUntilEnded(
  sys: Pick<Syscalls, 'journal'>,
  pod: PodLogSource,
  o: Omit<PodLogOptions, 'follow'>,
  ended: Promise<unknown>,
): AsyncGenerator<PodLogLine> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  if (o.signal?.aborted) stop();
  o.signal?.addEventListener('abort', stop, { once: true });
  let quiet: NodeJS.Timeout | undefined;
  let limit: NodeJS.Timeout | undefined;
  let failed: { error: unknown } | undefined;
  // The drain starts once the pod has ended and the lines there were are all read (never cut short).
  let waits = 2;
  const drain = () => {
    if (--waits > 0) return;
    quiet = setTimeout(stop, QUIET_MS);
    limit = setTimeout(stop, DRAIN_MAX_MS);
  };
  ended.then(drain, (error: unknown) => {
    failed = { error };
    stop();
  });
  try {
    for await (const l of podLog(sys, pod, { ...o, follow: true, signal: abort.signal, seen: () => quiet?.refresh(), following: drain })) yield l;
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  } finally {
    clearTimeout(quiet);
    clearTimeout(limit);
    o.signal?.removeEventListener('abort', stop);
  }
  if (failed) throw failed.error;
}
