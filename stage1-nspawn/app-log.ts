// The logging path of the apps: each app's stdout and stderr are FIFOs in
// the pod's /run, and app-log.service, one process for every app of the pod
// (stage1-nspawn/app-log.c), copies them into the journal. journald takes
// a line's _SYSTEMD_UNIT (and so the pod's LogExtraFields) from /proc of the
// process that wrote it, when it handles the line: an app that wrote into
// the journal itself and exited at once would leave its last lines without
// them. The copier is that writer for every app, connects one stream per
// app and output (identifier APP, priority info or err), and lives until
// journald has handled all it wrote (journalctl --sync).
import { execLine } from './unit-syntax.js';

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
 * more. KillMode=mixed: the stop signal goes to the copier alone, not to
 * the journalctl --sync it runs last.
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
  'RequiresMountsFor=/run/systemd/journal',
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
