// The pod on the host: one transient service, sprocket-<uuid>.service, whose
// main process is the pod's nspawn. Started over D-Bus by src/pod.
import path from 'node:path';
import type { UnitProperties } from '../src/systemd/unit-properties.js';
import { podIsolationProperties } from './isolation-unit.js';
import { nspawnArgv } from './nspawn-args.js';
import type { PodPlan } from './plan.js';
import { literalArg } from './unit-syntax.js';

/** pods/<uuid>/pod-exit: "SERVICE_RESULT EXIT_CODE EXIT_STATUS" of the host unit. */
export const podExitFile = (plan: PodPlan) => path.join(plan.podDir, 'pod-exit');

// systemd expands $VARIABLES in every command it runs, from a file or D-Bus alike.
const command = (argv: string[]) => ({ path: argv[0]!, argv: argv.map(literalArg) });

/** Properties of the host unit (its name is plan.unit). */
export function hostUnitProperties(plan: PodPlan): UnitProperties {
  const recordExit = [
    '/bin/sh', '-c', 'printf "%s %s %s\\n" "$SERVICE_RESULT" "$EXIT_CODE" "$EXIT_STATUS" >"$1"', 'pod-exit', podExitFile(plan),
  ];
  return {
    Description: `sprocket pod ${plan.uuid}`,
    // Active once the pod's systemd reports ready (nspawn --notify-ready=yes).
    Type: 'notify',
    ExecStart: [command(nspawnArgv(plan))],
    ExecStopPost: [command(recordExit)],
    Slice: 'machine.slice',
    // The pod's systemd manages its own cgroup subtree.
    Delegate: true,
    // SIGTERM to nspawn alone: it shuts the pod's systemd down cleanly.
    KillMode: 'mixed',
    // A failed pod leaves no unit behind; pod-exit and status/ are the record.
    CollectMode: 'inactive-or-failed',
    // The stage1 root has no systemd before /usr is bound: nspawn would pick the legacy cgroup layout.
    Environment: { SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' },
    LogExtraFields: { SPROCKET_POD: plan.uuid },
    // Pod isolators bound the whole pod: nspawn, the pod's systemd and every app.
    ...podIsolationProperties(plan.isolation),
  };
}
