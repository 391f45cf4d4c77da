// When did a line reach the journal? One `journalctl --follow` for the whole
// benchmark; a line is found by its MESSAGE (every benchmark line is unique)
// and timed by the journal's own receive time (__MONOTONIC_TIMESTAMP, the
// machine's monotonic clock, also inside test hosts and pods), so how late
// the follower reads it does not count.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';

/** CLOCK_MONOTONIC in milliseconds, comparable with the journal's and systemd's monotonic timestamps. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export class JournalWatch {
  private readonly seen = new Map<string, number>();
  private readonly waiting = new Map<string, (ms: number) => void>();

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: { MESSAGE?: unknown; __MONOTONIC_TIMESTAMP?: string };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof entry.MESSAGE !== 'string' || this.seen.has(entry.MESSAGE)) return;
      const at = Number(entry.__MONOTONIC_TIMESTAMP) / 1000;
      this.seen.set(entry.MESSAGE, at);
      this.waiting.get(entry.MESSAGE)?.(at);
    });
  }

  /** Follows the journal from now; resolves once a line written after the start is seen. */
  static async start(): Promise<JournalWatch> {
    const child = spawn('journalctl', ['--follow', '--output=json', '--output-fields=MESSAGE', '--lines=0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const watch = new JournalWatch(child);
    const marker = `bench-sync-${randomUUID()}`;
    for (let i = 0; i < 100 && !watch.seen.has(marker); i++) {
      spawn('systemd-cat', ['-t', 'bench-sync', 'echo', marker], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!watch.seen.has(marker)) throw new Error('journalctl --follow shows no new lines');
    return watch;
  }

  /** The journal time (ms) of the first line that is exactly `message`. */
  at(message: string, timeoutMs = 60_000): Promise<number> {
    const known = this.seen.get(message);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(message);
        reject(new Error(`no journal line "${message}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(message, (ms) => {
        clearTimeout(timer);
        this.waiting.delete(message);
        resolve(ms);
      });
    });
  }

  stop(): void {
    this.child.kill();
  }
}
