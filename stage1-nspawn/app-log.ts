// The logging path of an app: its stdout and stderr are FIFOs in the pod's
// /run, and app-log@APP.service copies them into the journal. journald
// takes a line's _SYSTEMD_UNIT (and so the pod's LogExtraFields) from the
// process that connected the stream, read when it handles the line: if the
// app connected its own streams, the last lines of an app that exits at
// once would lose them. The copier connects both streams itself
// (systemd-cat, then the script) and lives until the app's unit is gone,
// every line read and handled by journald (journalctl --sync).
/** Inside the pod: the directory of the apps' output FIFOs (scripts/app-log makes them there). Not under /run/sprocket: a private-network pod has the host's bound there, read-only. */
export const LOG_DIR = '/run/sprocket-log';
export const appStdout = (app: string) => `${LOG_DIR}/${app}.stdout`;
export const appStderr = (app: string) => `${LOG_DIR}/${app}.stderr`;
/** Inside the pod: the copier script (stage1-nspawn/scripts/app-log). */
export const APP_LOG = '/sprocket/app-log';
/** The unit that copies the output of app %i. */
export const APP_LOG_TEMPLATE = 'app-log@.service';
export const appLogUnitName = (app: string) => `app-log@${app}.service`;

/**
 * app-log@APP.service: started before APP.service (which Requires= it) and
 * so stopped after it, when no process of the app holds a FIFO any more.
 * KillMode=mixed: the stop signal goes to the script alone, which then
 * lets its readers drain the FIFOs instead of being killed with them.
 */
export const APP_LOG_UNIT = [
  '[Unit]',
  'Description=sprocket: output of app %i to the journal',
  'DefaultDependencies=no',
  // Its app cannot run without it: the pod ends (with the exit status of the failing command) rather than wait for nothing.
  'FailureAction=exit',
  'Conflicts=shutdown.target',
  'Before=shutdown.target %i.service',
  // Stopped before the journal sockets are unmounted at the pod's shutdown.
  'RequiresMountsFor=/run/systemd/journal',
  '',
  '[Service]',
  'Type=exec',
  `ExecStartPre=${APP_LOG} %i ${LOG_DIR} fifos`,
  // stdout at priority info, stderr at err, both streams connected by the script.
  `ExecStart=/usr/bin/systemd-cat -t %i --stderr-priority=err ${APP_LOG} %i ${LOG_DIR}`,
  'KillMode=mixed',
  '',
].join('\n');

/** Lines of an app's unit: its output goes to the FIFOs of its app-log unit. */
export const appLogLines = (app: string) => [
  `StandardOutput=file:${appStdout(app)}`,
  `StandardError=file:${appStderr(app)}`,
];

/** [Unit] lines of an app's unit: its app-log unit runs first and stops last. */
export const appLogDependencies = (app: string) => [`Requires=${appLogUnitName(app)}`, `After=${appLogUnitName(app)}`];
