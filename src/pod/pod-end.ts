// How a pod whose nspawn exited 0 ended. nspawn exits 0 whenever the pod's
// systemd shuts down without an exit code of its own: at the pod's own end
// (its last app ended with success), at a stop of its unit, and also at a
// halt or poweroff that any process of the pod can ask of its PID 1 by a
// signal (an app's `kill -s SIGRTMIN+4 1`), or machinectl poweroff from the
// host, and at the StartLimitAction=exit of a unit that kept failing (the log
// copier that an app kills again and again, an app with a restart policy):
// systemd 252 gives that no exit status. The first two leave a mark; a 0
// without either is no clean exit.
import { existsSync } from 'node:fs';
import { podPaths } from './dir.js';
import type { ExitRecord, LogCopierStatus } from './state-schema.js';

/** What a pod's directory says of its end besides pod-exit. */
export interface PodEndMarks {
  /** pods/<uuid>/stop-requested: its unit was asked to stop while nspawn ran (stage1-nspawn/exit-record.ts). */
  stopRequested: boolean;
  /** status/apps.ended: its last app ended with success and the pod's app-stopped ended the pod. */
  appsEnded: boolean;
}

export function readPodEndMarks(podDir: string): PodEndMarks {
  const paths = podPaths(podDir);
  return { stopRequested: existsSync(paths.stopRequested), appsEnded: existsSync(paths.appsEnded) };
}

/**
 * Why a pod's end is a failure although nspawn exited 0 (status's `failure`
 * and `note`); undefined when it is not. `copier`: the log copier's ends
 * that no stop asked for, named as a likely cause.
 */
export function unrequestedShutdown(podExit: ExitRecord | undefined, marks: PodEndMarks, copier?: LogCopierStatus): { failure: 'shutdown'; note: string } | undefined {
  if (podExit?.code !== 'exited' || podExit.status !== '0' || marks.stopRequested || marks.appsEnded) return undefined;
  const killed = copier ? `; its log copier ended ${copier.ends} time(s) without a stop (last: ${copier.result} ${copier.signal ?? copier.exitStatus})` : '';
  return {
    failure: 'shutdown',
    note: 'the pod\'s systemd shut down before its apps ended and without a stop of its unit: a signal to the pod\'s PID 1 (from inside the pod, or machinectl poweroff), '
      + `or a unit of the pod that kept failing (its start limit)${killed}; not a clean exit`,
  };
}
