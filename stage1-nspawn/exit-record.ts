// The pod's exit record, pods/<uuid>/pod-exit: "SERVICE_RESULT EXIT_CODE
// EXIT_STATUS" of nspawn, written by an ExecStopPost= of the unit whose
// main process nspawn was: the pod's transient unit (host-unit.ts) or, for
// an inline pod, the operator's service (docs/units.md). A shell, not
// sprocket: it runs at every stop (sprocket only for a network to tear down).
import { NETWORK_RECORD } from '../src/net/interfaces.js';
import { podPaths, STOP_REQUEST_FILE } from '../src/pod/dir.js';

/** pods/<uuid>/pod-exit */
export const podExitFile = (podDir: string) => podPaths(podDir).podExit;

const RECORD = 'printf "%s %s %s\\n" "$SERVICE_RESULT" "$EXIT_CODE" "$EXIT_STATUS"';

/** ExecStopPost= of the pod's own unit: the record goes to `file`. */
export const podExitRecord = (file: string): string[] => ['/bin/sh', '-c', `${RECORD} >"$1"`, 'pod-exit', file];

/** pods/<uuid>/stop-requested */
export const stopRequestFile = (podDir: string) => podPaths(podDir).stopRequested;

/**
 * ExecStop= of the pod's own unit: marks a stop asked of the unit (systemctl
 * stop, sprocket stop, machinectl terminate, a foreground run's Ctrl-C) in
 * `file` before systemd signals nspawn. nspawn exits 0 whenever the pod's
 * systemd shuts down, also when an app asked for it (kill -s SIGRTMIN+4 1):
 * the mark tells a stop from that (src/pod/pod-end.ts). systemd also runs
 * ExecStop= after nspawn ended by itself, then without $MAINPID: no mark.
 * A unit stopped while it starts skips ExecStop=: the halt unit marks it.
 */
export const podStopRequest = (file: string): string[] => ['/bin/sh', '-c', '[ -z "$MAINPID" ] || : >"$1"', 'sprocket-stop', file];

/** ExecStop= of an inline pod's service: podStopRequest for the pod this run of the service runs (UNIT_RECORDS). */
export const inlineStopRequest = (): string[] => [
  '/bin/sh', '-c',
  `f=$1/$INVOCATION_ID; [ -n "$MAINPID" ] && [ -f "$f" ] || exit 0; d=$(cat "$f") && : >"$d/${STOP_REQUEST_FILE}"`,
  'sprocket-stop', UNIT_RECORDS,
];

/**
 * Where a run of a service finds its inline pod when it stops:
 * UNIT_RECORDS/<invocation ID> holds the pod directory (src/pod/inline.ts).
 */
export const UNIT_RECORDS = '/run/sprocket/units';

/**
 * ExecStopPost= of an inline pod's service, whatever ended it (a stop, the
 * pod's end, kill -9 of nspawn or of sprocket before the handover): the
 * record goes to the pod this run of the service ran, then its network (if
 * it has one) is torn down by `SPROCKET network-teardown`, as the pod's own
 * unit does for other pods. A teardown that fails is reported and leaves
 * its record for gc; the stop stands.
 */
export const inlineStopPost = (sprocket: string): string[] => [
  '/bin/sh', '-c',
  [
    'f=$1/$INVOCATION_ID; [ -f "$f" ] || exit 0; d=$(cat "$f")',
    `${RECORD} >"$d/pod-exit" || exit`,
    `[ ! -f "$d/${NETWORK_RECORD}" ] || "$2" --dir "\${d%/pods/*}" network-teardown "\${d##*/}" || echo "pod \${d##*/}: its network is left for sprocket gc" >&2`,
    'rm -f "$f"',
  ].join('\n'),
  'sprocket-stop-post', UNIT_RECORDS, sprocket,
];

/**
 * ExecStartPost= of an inline pod's service, run once the pod said READY=1:
 * fails the start if an app failed by then. The pod's systemd reports ready
 * when its start jobs are done, failed ones too (a notify app that exited
 * before READY=1, say), and only then ends the pod (FailureAction=exit). So:
 * the pod's systemd running, the start stands; degraded (a failed unit), it
 * fails; anything else, the pod is ending: once nspawn ($MAINPID) is gone,
 * its apps' exit records are complete and say whether one failed. The wait
 * is bounded by the service's TimeoutStartSec=.
 */
export const inlineReadyCheck = (): string[] => [
  '/bin/sh', '-c',
  [
    'd=$(cat "$1/$INVOCATION_ID") || exit 0; pod=${d##*/}',
    'leader=$(machinectl show -p Leader --value "sprocket-$pod" 2>/dev/null) && state=$(nsenter -t "$leader" -m -p systemctl is-system-running 2>/dev/null)',
    'case $state in running) exit 0 ;; degraded) echo "pod $pod: failed before it was ready:" $(nsenter -t "$leader" -m -p systemctl list-units --state=failed --no-legend --plain | cut -d" " -f1) >&2; exit 1 ;; esac',
    'while kill -0 "$MAINPID" 2>/dev/null; do sleep 0.1; done',
    'for f in "$d"/status/*; do case ${f##*/} in *.*) continue ;; esac; [ -f "$f" ] && read -r result code status <"$f" && [ "$result" != success ] && { echo "pod $pod: app ${f##*/} failed before the pod was ready: $result $code $status" >&2; exit 1; }; done',
    'exit 0',
  ].join('\n'),
  'sprocket-ready-check', UNIT_RECORDS,
];
