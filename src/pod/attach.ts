// A foreground run: the apps' output is shown as it comes (stdout lines on
// stdout, lines at priority err or worse on stderr), Ctrl-C (or SIGTERM,
// SIGHUP: what systemd sends a unit that runs `sprocket run`) stops the pod,
// and the pod's end is awaited. Lines are read back from the journal, where
// the pod's apps write them, so what the terminal shows is what `logs` shows.
import { podLogUntilEnded, type PodLogLine } from '../journal/pod-log.js';
import type { PodContext } from './context.js';
import { podDir, podPaths } from './dir.js';
import { lockFile } from './lock.js';
import { waitPod } from './run.js';
import { podRoot } from './log-source.js';
import { readState } from './state.js';
import { readPlan, type PodStatus } from './status.js';

export interface Terminal {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/** The signals that stop a followed pod cleanly instead of ending the CLI. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Follows pod `uuid` (start it after calling this, before awaiting `done`).
 * From this call on, a stop signal stops the pod: one that arrives while the
 * pod starts is repeated once it has started, so the pod never outlives it.
 */
export async function followPod(ctx: PodContext, uuid: string, term: Terminal): Promise<{ done: () => Promise<PodStatus>; cancel: () => void }> {
  const dir = podDir(ctx.stateDir, uuid);
  const plan = await readPlan(dir);
  const { created } = await readState(podPaths(dir).state);
  const attached = (await lockFile(podPaths(dir).attached, { wait: true, shared: true }))!;
  const apps = plan.apps.map((a) => a.name);
  const abort = new AbortController();
  let podEnded: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (podEnded = resolve));
  const show = (l: PodLogLine) => {
    if (l.origin !== 'app') return;
    const line = apps.length > 1 ? `${l.app}: ${String(l.entry.MESSAGE)}` : String(l.entry.MESSAGE);
    (Number(l.entry.PRIORITY) <= 3 ? term.stderr : term.stdout)(line);
  };
  // Every entry of the pod from its creation on: entries written before journalctl is up are not lost.
  const since = `${new Date(Date.parse(created) - 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  let stopRequested = false;
  const stop = () => {
    stopRequested = true;
    void ctx.systemd.stopUnit(plan.unit).catch(() => undefined);
  };
  const release = () => {
    for (const signal of STOP_SIGNALS) process.off(signal, stop);
    return attached.release();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  const reading = (async () => {
    try {
      // Until the pod has ended and its last lines are read; the console too (not shown).
      for await (const l of podLogUntilEnded(ctx.sys, { uuid, unit: plan.unit, apps, ...podRoot(plan) }, { since, stage1: true, signal: abort.signal }, ended)) show(l);
    } catch (e) {
      if (!abort.signal.aborted) throw e;
    }
  })();
  return {
    cancel: () => {
      abort.abort();
      void release();
    },
    done: async () => {
      if (stopRequested) stop();
      try {
        const status = await waitPod(ctx, uuid);
        podEnded();
        await reading;
        return status;
      } finally {
        await release();
      }
    },
  };
}
