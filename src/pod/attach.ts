// A foreground run: the apps' output is shown as it comes (stdout lines on
// stdout, lines at priority err or worse on stderr), Ctrl-C stops the pod,
// and the pod's end is awaited. Lines are read back from the journal, where
// the pod's apps write them, so what the terminal shows is what `logs` shows.
import { journalEntries, type JournalEntry } from '../journal/read.js';
import type { PodContext } from './context.js';
import { podDir, podPaths } from './dir.js';
import { lockFile } from './lock.js';
import { waitPod } from './run.js';
import { readPlan, type PodStatus } from './status.js';

/** How long the last lines of an ended pod may take to reach the journal (ms). */
const DRAIN_MS = 1500;

export interface Terminal {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/** Follows pod `uuid` (start it after calling this, before awaiting `done`). */
export async function followPod(ctx: PodContext, uuid: string, term: Terminal): Promise<{ done: () => Promise<PodStatus>; cancel: () => void }> {
  const dir = podDir(ctx.stateDir, uuid);
  const plan = await readPlan(dir);
  const attached = (await lockFile(podPaths(dir).attached, { wait: true, shared: true }))!;
  const apps = plan.apps.map((a) => a.name);
  const abort = new AbortController();
  let ended = false;
  const show = (e: JournalEntry) => {
    const id = String(e.SYSLOG_IDENTIFIER ?? '');
    if (e.SPROCKET_EVENT === 'stopped') ended = true;
    if (!apps.includes(id)) return;
    const line = apps.length > 1 ? `${id}: ${String(e.MESSAGE)}` : String(e.MESSAGE);
    (Number(e.PRIORITY) <= 3 ? term.stderr : term.stdout)(line);
  };
  const reading = (async () => {
    try {
      for await (const e of journalEntries({ pod: uuid, lines: 1 }, { follow: true, signal: abort.signal })) {
        show(e);
        if (ended) break;
      }
    } catch (e) {
      if (!abort.signal.aborted) throw e;
    }
  })();
  return {
    cancel: () => {
      abort.abort();
      void attached.release();
    },
    done: async () => {
      const stop = () => void ctx.systemd.stopUnit(plan.unit).catch(() => undefined);
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        const status = await waitPod(ctx, uuid);
        // The "stopped" event is written after the apps' last lines: wait for it a little.
        const timer = setTimeout(() => abort.abort(), DRAIN_MS);
        await reading;
        clearTimeout(timer);
        abort.abort();
        return status;
      } finally {
        await attached.release();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    },
  };
}
