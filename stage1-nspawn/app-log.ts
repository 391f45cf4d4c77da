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

/** Inside the pod: the directory of the apps' output FIFOs (made by app-log.service). Not under /run/sprocket: a private-network pod has the host's bound there, read-only. */
export const LOG_DIR = '/run/sprocket-log';
export const appStdout = (app: string) => `${LOG_DIR}/${app}.stdout`;
export const appStderr = (app: string) => `${LOG_DIR}/${app}.stderr`;
/** Inside the pod: the copier (stage1-nspawn/app-log.c, built into dist/stage1-nspawn/app-log). */
export const APP_LOG = '/sprocket/app-log';
/** The pod's one copier unit; its cgroup tells sprocket logs that a line is an app's (src/journal/pod-log.ts). */
export const APP_LOG_UNIT_NAME = 'app-log.service';
/** The identifier of the copier's own messages. */
export const APP_LOG_IDENTIFIER = 'sprocket_app-log';

/**
 * app-log.service for the apps `apps` (those whose output is not the
 * console): started before every app's unit (which Requires= it) and so
 * stopped after all of them, when no process of an app holds a FIFO any
 * more. KillMode=mixed: the stop signal goes to the copier alone.
 */
export const appLogUnit = (apps: string[]) => [
  '[Unit]',
  'Description=sprocket: output of the apps to the journal',
  'DefaultDependencies=no',
  // The apps cannot run without it: the pod ends (with the exit status of the failing command) rather than wait for nothing.
  'FailureAction=exit',
  'Conflicts=shutdown.target',
  'Before=shutdown.target',
  // Stopped before the journal sockets are unmounted at the pod's shutdown.
  `RequiresMountsFor=${POD_JOURNAL}`,
  '',
  '[Service]',
  // Ready once the FIFOs exist (made by the copier itself: no second process on the way to the apps' start).
  'Type=notify',
  // Its own messages: no AC name, so never taken for an app's line (src/journal/pod-log.ts).
  `SyslogIdentifier=${APP_LOG_IDENTIFIER}`,
  `ExecStart=${execLine([APP_LOG, LOG_DIR, ...apps])}`,
  'KillMode=mixed',
  '',
].join('\n');

/** Lines of an app's unit: its output goes to its FIFOs. */
export const appLogLines = (app: string) => [
  `StandardOutput=file:${appStdout(app)}`,
  `StandardError=file:${appStderr(app)}`,
];

/** [Unit] lines of an app's unit: the copier runs first and stops last. */
export const appLogDependencies = () => [`Requires=${APP_LOG_UNIT_NAME}`, `After=${APP_LOG_UNIT_NAME}`];
