// sprocket's own lifecycle events, as structured journal entries that carry
// the pod's UUID. Readers place them by who wrote them, not by these fields (pod-log.ts).
// journald being absent never breaks a command.
import { createRequire } from 'node:module';
import { z } from 'zod';

export const POD_EVENTS = ['prepared', 'started', 'app-exited', 'stopped', 'collected'] as const;

export const PodEventSchema = z.object({
  pod: z.uuid(),
  event: z.enum(POD_EVENTS),
  app: z.string().min(1).optional(),
  exitStatus: z.number().int().optional(),
  /** Human-readable line; a default is made from the other fields. */
  message: z.string().optional(),
});
export type PodEvent = z.infer<typeof PodEventSchema>;

/** Journal fields (upper case names) and the MESSAGE of one entry. */
export type JournalFields = Record<string, string>;
/** Where entries go: journald, or a recorder in tests. */
export type JournalSink = (priority: 'info' | 'notice', message: string, fields: JournalFields) => void;

export const SYSLOG_IDENTIFIER = 'sprocket';

function defaultMessage(e: PodEvent): string {
  if (e.event === 'app-exited') return `pod ${e.pod}: app ${e.app ?? '?'} exited with status ${e.exitStatus ?? '?'}`;
  return `pod ${e.pod}: ${e.event}`;
}

/** The journal fields of an event (MESSAGE apart). */
export function podEventFields(e: PodEvent): JournalFields {
  const fields: JournalFields = { SYSLOG_IDENTIFIER, SPROCKET_POD: e.pod, SPROCKET_EVENT: e.event };
  if (e.app !== undefined) fields.SPROCKET_APP = e.app;
  if (e.exitStatus !== undefined) fields.SPROCKET_EXIT_STATUS = String(e.exitStatus);
  return fields;
}

let warned = false;
function warnOnce(err: unknown) {
  if (warned || !process.env.SPROCKET_DEBUG) return;
  warned = true;
  process.stderr.write(`sprocket: warning: cannot write to the journal: ${(err as Error).message}\n`);
}

type Journald = Record<'info' | 'notice', (message: string, fields: Record<string, string>) => void>;
let journald: Journald | null | undefined;

/** journald through the systemd-journald addon, loaded on first use. */
export const journaldSink: JournalSink = (priority, message, fields) => {
  if (journald === undefined) {
    try {
      // A native addon: a machine without libsystemd must still run sprocket.
      journald = createRequire(import.meta.url)('systemd-journald') as Journald;
    } catch (err) {
      journald = null;
      warnOnce(err);
    }
  }
  try {
    journald?.[priority](message, fields);
  } catch (err) {
    warnOnce(err);
  }
};

/** Writes one lifecycle event of a pod. Never throws for want of a journal. */
export function writePodEvent(event: PodEvent, sink: JournalSink = journaldSink): void {
  const e = PodEventSchema.parse(event);
  const failed = e.event === 'app-exited' && e.exitStatus !== 0;
  sink(failed ? 'notice' : 'info', e.message ?? defaultMessage(e), podEventFields(e));
}
