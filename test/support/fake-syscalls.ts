// Syscalls for unit tests (src/syscalls.ts): an in-memory journal that
// answers queries as journalctl does (match groups, --after-cursor,
// --lines, --follow; not --since: every entry counts), a mount table,
// cgroups and a recorded nsenter. Tests write entries, mounts and
// processes, then read what the pod operations did.
import { SprocketError } from '../../src/errors.js';
import type { JournalEntry, JournalQuery } from '../../src/journal/read.js';
import type { Syscalls } from '../../src/syscalls.js';

export class FakeSyscalls implements Syscalls {
  /** The journal, oldest first; write() adds to it. */
  readonly entries: JournalEntry[] = [];
  /** Every journal query, with whether it followed. */
  readonly queries: { query: JournalQuery; follow: boolean }[] = [];
  /** Mount points, in mount order. */
  readonly mounts: string[] = [];
  /** Mount points that unmount() fails on (target is busy). */
  readonly busy = new Set<string>();
  /** Every unmount(), in order. */
  readonly unmounted: string[] = [];
  /** cgroup (as systemd's ControlGroup names it) to its processes. */
  readonly cgroups = new Map<string, number[]>();
  /** Every enter(), in order; each resolves to enterExitCode. */
  readonly entered: { pid: number; argv: string[]; env: Record<string, string> }[] = [];
  enterExitCode = 0;
  private wake: () => void = () => undefined;

  /** Adds an entry to the journal (with a __CURSOR) and wakes the followers. */
  write(entry: JournalEntry): void {
    this.entries.push({ __CURSOR: `c${this.entries.length + 1}`, ...entry });
    this.wake();
  }

  async *journal(query: JournalQuery, opts: { follow?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<JournalEntry> {
    this.queries.push({ query, follow: Boolean(opts.follow) });
    const matches = matcher(query);
    let next = query.afterCursor ? this.entries.findIndex((e) => e.__CURSOR === query.afterCursor) + 1 : 0;
    const now = this.entries.slice(next).filter(matches);
    yield* query.lines ? now.slice(-query.lines) : now;
    next = this.entries.length;
    while (opts.follow && !opts.signal?.aborted) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        opts.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      for (; next < this.entries.length; next++) if (matches(this.entries[next]!)) yield this.entries[next]!;
    }
  }

  async mountsBelow(dir: string): Promise<string[]> {
    return this.mounts.filter((m) => m === dir || m.startsWith(`${dir}/`));
  }

  async unmount(target: string): Promise<void> {
    this.unmounted.push(target);
    if (this.busy.has(target)) throw new SprocketError('io', `cannot unmount: umount: ${target}: target is busy.`);
    this.mounts.splice(this.mounts.indexOf(target), 1);
  }

  async cgroupProcesses(cgroup: string): Promise<number[]> {
    return this.cgroups.get(cgroup) ?? [];
  }

  async enter(pid: number, argv: string[], env: Record<string, string>): Promise<number> {
    this.entered.push({ pid, argv, env });
    return this.enterExitCode;
  }
}

/** journalctl's selection: one of the groups (each with the common matches) holds entirely. */
function matcher(q: JournalQuery): (e: JournalEntry) => boolean {
  const common: Record<string, string> = { ...q.fields, ...(q.unit ? { _SYSTEMD_UNIT: q.unit } : {}), ...(q.identifier ? { SYSLOG_IDENTIFIER: q.identifier } : {}) };
  const groups = (q.any ?? [{}]).map((g) => Object.entries({ ...g, ...common }));
  return (e) => groups.some((g) => g.every(([k, v]) => e[k] === v));
}
