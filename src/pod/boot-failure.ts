// A pod that did not come up: its host unit's start job failed and the pod
// ended with a failure before its systemd reported ready (an app that could
// not start, or stage1 itself: the pod's systemd failing at boot, as it
// does when the host is out of inotify instances). `run` says so instead of
// reporting a started pod; the message carries the pod's last lines. So does
// `run -d` for a pod that was ready but had already failed when it looked
// (docs/pods.md, "Foreground and detached").
import { SprocketError } from '../errors.js';
import type { JournalEntry } from '../journal/read.js';
import type { PodContext } from './context.js';
import type { Started } from './run.js';
import { waitPod } from './run.js';
import { podStatus, type AppStatus, type PodStatus } from './status.js';

/** How many of the host unit's last journal lines the message quotes. */
const JOURNAL_LINES = 10;

/** How long `run -d` waits for a pod that failed as it came up to finish ending, for its exit status. */
const END_TIMEOUT_MS = 30_000;

/** What systemd says when it cannot get an inotify instance (the pod's systemd needs 3). */
const OUT_OF_INOTIFY = /Too many open files|inotify/i;

/** True when pod `status` ended with a failure (not a clean stop or all apps done). */
export function endedWithFailure(status: PodStatus): boolean {
  return status.state !== 'running' && status.exitStatus !== 0;
}

/** True for an app that ended by itself with a failure, or was killed. */
function appFailed(app: AppStatus): boolean {
  return (app.state === 'exited' && app.exitStatus !== 0) || app.state === 'killed';
}

/** The error for pod `status`, which did not come up; `lines` are its host unit's last journal lines. */
export function notUpError(status: PodStatus, lines: string[], when = 'it ended before it was ready'): SprocketError {
  const how = status.exitStatus !== undefined ? `exit status ${status.exitStatus}` : status.signal ? `signal ${status.signal}` : 'no exit record';
  const apps = status.apps.filter((a) => a.exitStatus !== undefined || a.result).map((a) => `app ${a.name}: ${a.result ?? ''} ${a.exitStatus ?? a.signal ?? ''}`.trim());
  const inotify = lines.some((l) => OUT_OF_INOTIFY.test(l));
  const hints = [
    ...(inotify ? ['the host is out of inotify instances (each pod\'s systemd takes 3): raise fs.inotify.max_user_instances (docs/install.md, "Density")'] : []),
    `see: sprocket status ${status.uuid}; journalctl -u ${status.unit}`,
  ];
  const quoted = lines.length ? `\n  last lines of ${status.unit}:\n${lines.map((l) => `    ${l}`).join('\n')}` : '';
  return new SprocketError('runtime', `the pod did not come up: ${when} (${[how, ...apps].join('; ')})${quoted}`, {
    file: `pod ${status.uuid}`,
    hint: hints.join('\n  hint: '),
  });
}

/**
 * Throws notUpError (with the host unit's last journal lines) for a pod that
 * was started (startPod) but did not come up. Detached (no `followed`
 * status): any failure before ready, and a ready pod that has already failed
 * when this looks (an app that exited with a failure: the pod is ending).
 * Followed in the foreground: only when no app got to exit, as an app's own
 * exit status is the run's exit code.
 */
export async function refuseNotUp(ctx: PodContext, started: Started): Promise<void>;
export async function refuseNotUp(ctx: PodContext, started: Started, followed: PodStatus): Promise<PodStatus>;
export async function refuseNotUp(ctx: PodContext, started: Started, followed?: PodStatus): Promise<PodStatus | void> {
  if (started.ready && followed) return followed;
  let status = followed ?? (await podStatus(ctx, started.uuid));
  if (started.ready) {
    if (!endedWithFailure(status) && !status.apps.some(appFailed)) return;
    status = await waitPod(ctx, started.uuid, { timeoutMs: END_TIMEOUT_MS });
  } else if (!endedWithFailure(status) || (followed && status.apps.some((a) => a.exitStatus !== undefined))) return followed;
  const entries: JournalEntry[] = [];
  try {
    for await (const e of ctx.sys.journal({ unit: status.unit, lines: JOURNAL_LINES })) entries.push(e);
  } catch {
    // The error below is the news; it goes without the lines the journal could not give.
  }
  throw notUpError(status, entries.map((e) => String(e.MESSAGE ?? '')), started.ready ? 'it failed as it came up' : undefined);
}
