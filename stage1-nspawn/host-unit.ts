// The pod on the host: one transient service, sprocket-<uuid>.service, whose
// main process is the pod's nspawn, and beside it sprocket-halt-<uuid>.service
// (no process until the pod stops). Started over D-Bus by src/pod.
import type { AuxUnit } from '../src/systemd/systemd.js';
import type { UnitProperties } from '../src/systemd/unit-properties.js';
import { podDeviceProperties } from './devices.js';
import { podExitFile, podExitRecord, podStopRequest, stopRequestFile } from './exit-record.js';
import { podIsolationProperties } from './isolation-unit.js';
import { nspawnArgv } from './nspawn-args.js';
import type { PodPlan } from './plan.js';
import { literalArg } from './unit-syntax.js';

// systemd expands $VARIABLES in every command it runs, from a file or D-Bus alike.
const command = (argv: string[]) => ({ path: argv[0]!, argv: argv.map(literalArg) });

/**
 * Properties of the host unit (its name is plan.unit). `networkTearDown`: the
 * command that tears down a contained pod's network once nspawn has ended
 * (src/net), run after the exit is recorded; its failure leaves the record
 * for gc and does not change how the pod ended.
 */
export function hostUnitProperties(plan: PodPlan, networkTearDown?: string[]): UnitProperties {
  return {
    Description: `sprocket pod ${plan.uuid}`,
    // Active once the pod's systemd reports ready (nspawn --notify-ready=yes).
    Type: 'notify',
    ExecStart: [command(nspawnArgv(plan))],
    // A stop asked of the unit is marked before nspawn is signalled: the pod's exit 0 is then a clean stop.
    ExecStop: [command(podStopRequest(stopRequestFile(plan.podDir)))],
    ExecStopPost: [command(podExitRecord(podExitFile(plan.podDir))), ...(networkTearDown ? [{ ...command(networkTearDown), ignoreFailure: true }] : [])],
    // Started with the pod: stops it again while it stops (haltUnit).
    Wants: [haltUnitName(plan)],
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
    // nspawn's device list, which it installs only on a scope of its own (not with --keep-unit).
    ...podDeviceProperties(),
    // Pod isolators bound the whole pod: nspawn, the pod's systemd and every app.
    ...podIsolationProperties(plan.isolation),
  };
}

/** The unit that repeats the pod's halt while the pod's unit stops. */
export const haltUnitName = (plan: PodPlan) => `sprocket-halt-${plan.uuid}.service`;

/** How often the pod's systemd is asked again to halt while its unit stops (seconds). */
export const HALT_REPEAT_S = 1;

/**
 * sprocket-halt-<uuid>.service, started beside the host unit (aux unit of its
 * StartTransientUnit). nspawn turns the host unit's SIGTERM into one
 * SIGRTMIN+3 to the pod's systemd, lost when that systemd does not handle
 * signals yet (a namespace's init ignores a signal it has no handler for);
 * a second SIGTERM makes nspawn kill the pod. The host unit cannot repeat it
 * itself: systemd skips ExecStop= of a unit stopped while still activating
 * (Type=notify: until the pod is ready) and signals its main process at
 * once. This unit has no process while the pod runs; BindsTo= gives it a stop
 * job beside every stop of the host unit (systemctl stop, machinectl
 * terminate, sprocket stop, the pod's own end), not ordered against it, whose
 * ExecStop= asks the pod's leader (machined's, so never nspawn's helper
 * child) every second to halt until nspawn is gone. Its default stop timeout
 * matches the host unit's, which then kills the pod (KillMode=mixed). It
 * first marks the stop as asked for (exit-record.ts, podStopRequest) when
 * nspawn still runs and the pod has no exit record yet: the host unit's own
 * mark is skipped for a unit stopped while it starts; after the pod's own
 * end (the host unit inactive, its record written) there is nothing to mark.
 */
export function haltUnit(plan: PodPlan): AuxUnit {
  const repeatHalt = [
    '/bin/sh', '-c',
    'running() { [ "$(systemctl show -p MainPID --value "$1")" -gt 0 ] 2>/dev/null; }\n' +
      'running "$1" && [ ! -e "$4" ] && : >"$3"\n' +
      `while running "$1"; do sleep ${HALT_REPEAT_S}; running "$1" && machinectl kill --kill-who=leader --signal=SIGRTMIN+3 "$2" 2>/dev/null; done; exit 0`,
    'sprocket-halt', plan.unit, plan.machine, stopRequestFile(plan.podDir), podExitFile(plan.podDir),
  ];
  return {
    name: haltUnitName(plan),
    properties: {
      Description: `sprocket pod ${plan.uuid}: halt it again while it stops`,
      Type: 'oneshot',
      RemainAfterExit: true,
      ExecStop: [command(repeatHalt)],
      BindsTo: [plan.unit],
      CollectMode: 'inactive-or-failed',
    },
  };
}
