// Reading the journal back: journalctl -o json with field matches, as a
// list or followed line by line.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { SprocketError, invalid } from '../errors.js';

const fieldName = /^[A-Z0-9_]+$/;
const Matches = z.record(z.string().regex(fieldName, 'is not a journal field name'), z.string());

export const JournalQuerySchema = z.object({
  /** A unit's lines: _SYSTEMD_UNIT=<unit> (a pod's is sprocket-<uuid>.service). */
  unit: z.string().min(1).optional(),
  /** SYSLOG_IDENTIFIER=<identifier>: a field any client sets as it likes, so never the only match of a pod's log. */
  identifier: z.string().min(1).optional(),
  /** Other FIELD=value matches. */
  fields: Matches.optional(),
  /** Entries that match any of these groups (each group's matches all hold), besides the matches above. */
  any: z.array(Matches).min(1).optional(),
  /** Only entries after this one (journalctl --after-cursor), all of them even when followed. */
  afterCursor: z.string().min(1).optional(),
  /** journalctl --since: "2024-01-01 10:00:00", "-5min", "today" ... */
  since: z.string().min(1).optional(),
  /** The last N entries only (journalctl -n). */
  lines: z.number().int().positive().optional(),
});
export type JournalQuery = z.input<typeof JournalQuerySchema>;

/** One journal entry: field to value (a field repeated in the entry gives a list). */
export type JournalEntry = Record<string, string | string[]>;

/** The journalctl command line of a query. */
export function journalctlArgs(query: JournalQuery, follow = false): string[] {
  const parsed = JournalQuerySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(issue.message, { file: 'journal query', field: issue.path.map(String).join('.') });
  }
  const q = parsed.data;
  const matches: Record<string, string> = { ...q.fields };
  if (q.unit) matches._SYSTEMD_UNIT = q.unit;
  if (q.identifier) matches.SYSLOG_IDENTIFIER = q.identifier;
  // journalctl: matches of one group all hold, groups joined by + are alternatives.
  const groups = (q.any ?? [{}]).map((g) => ({ ...g, ...matches }));
  for (const [k, v] of groups.flatMap((g) => Object.entries(g))) {
    if (v.includes('\n')) throw invalid('a match value must be one line', { file: 'journal query', field: k });
  }
  return [
    '--no-pager',
    '-o',
    'json',
    ...(q.since ? [`--since=${q.since}`] : []),
    ...(q.lines ? [`--lines=${q.lines}`] : []),
    ...(q.afterCursor ? [`--after-cursor=${q.afterCursor}`, '--no-tail'] : []),
    ...(follow ? ['--follow'] : []),
    ...groups.flatMap((g, i) => [...(i > 0 ? ['+'] : []), ...Object.entries(g).map(([k, v]) => `${k}=${v}`)]),
  ];
}

// journalctl -o json gives a value as a string, as an array of bytes when it
// is not valid text, null when too large, an array of those when repeated.
function value(v: unknown): string {
  if (Array.isArray(v)) return Buffer.from(v as number[]).toString('utf8');
  return v === null ? '' : String(v);
}
function entryFrom(line: string): JournalEntry {
  const raw = JSON.parse(line) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) && v.some((x) => typeof x !== 'number') ? v.map(value) : value(v)]),
  );
}

/**
 * The entries that match `query`, oldest first. With follow, waits for new
 * entries until the consumer stops iterating (journalctl is then ended).
 */
export async function* journalEntries(query: JournalQuery, opts: { follow?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<JournalEntry> {
  const args = journalctlArgs(query, opts.follow);
  const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (err) => reject(new SprocketError('runtime', `cannot run journalctl: ${err.message}`, { file: 'journalctl' })));
    child.on('close', (code) => resolve(code));
  });
  exited.catch(() => {}); // surfaced below
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (line) yield entryFrom(line);
    }
    const code = await exited;
    // journalctl exits 1 with "-- No entries --" on stderr when nothing matches.
    if (code !== 0 && !/No entries/.test(stderr)) {
      throw new SprocketError('runtime', `journalctl exited with status ${code}: ${stderr.trim()}`, { file: 'journalctl' });
    }
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/** All entries that match `query` (no follow). */
export async function readJournal(query: JournalQuery): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  for await (const e of journalEntries(query)) entries.push(e);
  return entries;
}
