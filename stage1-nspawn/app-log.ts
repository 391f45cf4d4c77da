// The logging path of the apps: each app's stdout and stderr are FIFOs in
// the pod's /run, and app-log.service, one process for every app of the pod
// (stage1-nspawn/app-log.c), copies them into the journal. journald takes
// a line's _SYSTEMD_UNIT (and so the pod's LogExtraFields) from /proc of the
// process that wrote it, when it handles the line: an app that wrote into
// the journal itself and exited at once would leave its last lines without
// them. The copier is that writer for every app, connects one stream per
// app and output (identifier APP, priority info or err), and lives until
// journald has handled all it wrote (it ends each stream and waits until
// journald closed its end). It reaches the journal at POD_JOURNAL, which no
// app's root has (journald's control socket is there).
import path from 'node:path';
import { execLine } from './unit-syntax.js';

/** On the host, and where apps find them: journald's sockets, beside its control socket (io.systemd.journal), which no app may reach. */
export const JOURNAL_SOCKETS = '/run/systemd/journal';
/**
 * Inside the pod: the host's journal directory, bound by nspawn for the pod's
 * log copier. The whole directory, not single sockets: these survive a
 * restart of the host's journald sockets. Not at /run/systemd/journal: an
 * app's root gets only the sockets it may write to (APP_JOURNAL_BINDS), and
 * nspawn would make /run/systemd before the pod's systemd runs.
 */
export const POD_JOURNAL = '/sprocket/journal';
/**
 * The pod's own units (exit records, health keepers, the metadata proxy)
 * write to the journal where systemd looks for it: the pod's systemd binds
 * POD_JOURNAL there once it runs (a mount unit, wanted by default.target;
 * units that log from the start require it mounted). No app's root has the
 * pod's /run.
 */
export const POD_JOURNAL_MOUNT = 'run-systemd-journal.mount';
export const POD_JOURNAL_MOUNT_UNIT = [
  '[Unit]',
  "Description=sprocket: the host's journal for the pod's own units",
  '',
  '[Mount]',
  `What=${POD_JOURNAL}`,
  `Where=${JOURNAL_SOCKETS}`,
  'Type=none',
  'Options=bind',
  '',
].join('\n');
/**
 * The journal's sockets bound into every app's root, pod path → app path:
 * native entries, stdout streams and syslog (also at /dev/log, where
 * syslog(3) looks). Bound when the app starts: an app still running when
 * the host restarts journald's sockets keeps the old ones.
 */
export const APP_JOURNAL_BINDS: [string, string][] = [
  ...['socket', 'stdout', 'dev-log'].map((s): [string, string] => [`${POD_JOURNAL}/${s}`, `${JOURNAL_SOCKETS}/${s}`]),
  [`${POD_JOURNAL}/dev-log`, '/dev/log'],
];

/** Inside the pod: the directory of the apps' output FIFOs (made by app-log.socket). Not under /run/sprocket: a private-network pod has the host's bound there, read-only. */
export const LOG_DIR = '/run/sprocket-log';
export const appStdout = (app: string) => `${LOG_DIR}/${app}.stdout`;
export const appStderr = (app: string) => `${LOG_DIR}/${app}.stderr`;
/** Inside the pod: the copier (stage1-nspawn/app-log.c, built into dist/stage1-nspawn/app-log). */
export const APP_LOG = '/sprocket/app-log';
/** The pod's one copier unit; its cgroup tells sprocket logs that a line is an app's (src/journal/pod-log.ts). */
export const APP_LOG_UNIT_NAME = 'app-log.service';
/** The identifier of the copier's own messages. */
export const APP_LOG_IDENTIFIER = 'sprocket_app-log';

/** The socket unit that makes the apps' FIFOs and holds them open in the pod's systemd, which no app can kill. */
export const APP_LOG_SOCKET_NAME = 'app-log.socket';
/** Inside the pod: the script run after each end of the copier (stage1-nspawn/scripts/app-log-stopped). */
export const APP_LOG_STOPPED = '/sprocket/app-log-stopped';
/** SPROCKET_EVENT= of the journal event APP_LOG_STOPPED sends for an end of the copier that no stop asked for. */
export const COPIER_EVENT = 'log-copier';
/** WatchdogSec= of the copier: a copier stopped (SIGSTOP) this long is killed and started again. */
export const COPIER_WATCHDOG_S = 3;

/**
 * app-log.socket for the apps `apps`: ListenFIFO= makes each FIFO (0600) and
 * the pod's systemd holds it open, read and write, for the pod's life. So an
 * app's writes never fail (no SIGPIPE, no EPIPE) while the copier is down,
 * they wait in the pipe, and the copier started again opens the same FIFOs
 * and reads on. Stopped after the copier at the pod's end.
 */
export const appLogSocket = (apps: string[]) => [
  '[Unit]',
  'Description=sprocket: the FIFOs of the apps\' output',
  'DefaultDependencies=no',
  'Conflicts=shutdown.target',
  `Before=shutdown.target ${APP_LOG_UNIT_NAME}`,
  '',
  '[Socket]',
  ...apps.flatMap((app) => [`ListenFIFO=${appStdout(app)}`, `ListenFIFO=${appStderr(app)}`]),
  'SocketMode=0600',
  'DirectoryMode=0755',
  `Service=${APP_LOG_UNIT_NAME}`,
  '',
].join('\n');

/**
 * app-log.service for the apps `apps` (those whose output is not the
 * console): started before every app's unit (which want it) and so
 * stopped after all of them, when no process of an app holds a FIFO any
 * more. KillMode=mixed: the stop signal goes to the copier alone. Apps share its PID namespace and may
 * kill it or stop it: it is started again after any end but a stop
 * (Restart=always; its FIFOs and what they hold are app-log.socket's), a
 * stopped one is killed by its watchdog, and each such end is recorded
 * (in `record`, the pod's status/app-log.service: "COUNT RESULT EXIT_CODE
 * EXIT_STATUS" of the last one; and a journal event: APP_LOG_STOPPED). An
 * app that kills it again and again ends the pod (its start limit, 5 starts
 * in 10 s).
 */
export const appLogUnit = (pod: string, apps: string[], record: string) => [
  '[Unit]',
  'Description=sprocket: output of the apps to the journal',
  'DefaultDependencies=no',
  `Requires=${APP_LOG_SOCKET_NAME}`,
  `After=${APP_LOG_SOCKET_NAME}`,
  // Not FailureAction=: systemd 252 fires it at every failure, also one it restarts.
  'StartLimitAction=exit',
  'Conflicts=shutdown.target',
  'Before=shutdown.target',
  // Stopped before the journal sockets and the status directory are unmounted at the pod's shutdown.
  `RequiresMountsFor=${POD_JOURNAL} ${path.dirname(record)}`,
  '',
  '[Service]',
  // Ready once it opened the FIFOs and connected to the journal.
  'Type=notify',
  // Its own messages: no AC name, so never taken for an app's line (src/journal/pod-log.ts).
  `SyslogIdentifier=${APP_LOG_IDENTIFIER}`,
  `ExecStart=${execLine([APP_LOG, LOG_DIR, ...apps])}`,
  `ExecStopPost=${execLine([APP_LOG_STOPPED, pod, record, APP_LOG, COPIER_EVENT])}`,
  'Restart=always',
  `WatchdogSec=${COPIER_WATCHDOG_S}`,
  // A stopped process keeps SIGABRT pending until continued; SIGKILL ends it.
  'WatchdogSignal=SIGKILL',
  'KillMode=mixed',
  '',
].join('\n');

/** Lines of an app's unit: its output goes to its FIFOs. */
export const appLogLines = (app: string) => [
  `StandardOutput=file:${appStdout(app)}`,
  `StandardError=file:${appStderr(app)}`,
];

/**
 * [Unit] lines of an app's unit: its FIFOs exist before it starts, the
 * copier runs first and stops last. The copier is wanted, not required: a
 * restart of a required unit restarts the units that require it.
 */
export const appLogDependencies = () => [
  `Requires=${APP_LOG_SOCKET_NAME}`,
  `Wants=${APP_LOG_UNIT_NAME}`,
  `After=${APP_LOG_SOCKET_NAME} ${APP_LOG_UNIT_NAME}`,
];
