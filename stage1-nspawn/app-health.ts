// The units of an app's health check, for the pod's systemd: a timer starts
// app-health@APP.service, a oneshot in the pod's own root that runs the
// check (app-check@APP.service, in the app's root as the app's own unit runs
// it), keeps the health in the pod's status directory, writes sprocket's
// event when it changes and acts on an unhealthy app (scripts/app-health).
// The check runs in a unit of its own so that nothing of the app ever runs
// in the keeper's cgroup, by which journald's readers trust its events. No
// process stays between checks.
import { appCommand } from './app-domain.js';
import { appMountsLine, appProcessLines, STATUS_DIR } from './app-unit.js';
import { healthUnitNames } from './health.js';
import type { PlanApp, PodPlan } from './plan.js';
import { APP_LOG } from './app-log.js';
import { execLine } from './unit-syntax.js';

/** Inside the pod: the script of the keeper and of the readiness wait (stage1-nspawn/scripts/app-health). */
export const APP_HEALTH = '/sprocket/app-health';
/** Inside the pod (its /run, not an app's): the output of the app's last check. */
export const healthOutput = (app: string) => `/run/sprocket-health/${app}.out`;

const HEAD = (description: string) => [
  '[Unit]',
  `Description=${description}`,
  'DefaultDependencies=no',
  'Conflicts=shutdown.target',
  'Before=shutdown.target',
];
/** A check every second must not hit systemd's start limit (5 starts in 10 s). */
const NO_START_LIMIT = 'StartLimitIntervalSec=0';

/** The unit files of a checked app, by name; none without a check. */
export function healthUnits(plan: PodPlan, app: PlanApp): Record<string, string> {
  const h = app.health;
  if (!h) return {};
  const units = healthUnitNames(app.name);
  const appUnit = `${app.name}.service`;
  // Decided by then: the start period, then `retries` failed checks and one more round.
  const readyTimeoutMs = h.startPeriodMs + (h.retries + 1) * (h.intervalMs + h.timeoutMs) + 10_000;
  const text = (lines: string[]) => [...lines, ''].join('\n');
  return {
    [units.timer]: text([
      ...HEAD(`sprocket: health checks of app ${app.name}`),
      // Started with the app (its Wants=), checks from its start on; stopped with it.
      `PartOf=${appUnit}`,
      `After=${appUnit}`,
      '',
      '[Timer]',
      'OnActiveSec=0',
      // Each interval after the last check ended: checks never overlap.
      `OnUnitInactiveSec=${h.intervalMs}ms`,
      'AccuracySec=1ms',
      `Unit=${units.keeper}`,
    ]),
    [units.keeper]: text([
      ...HEAD(`sprocket: health of app ${app.name}`),
      NO_START_LIMIT,
      `RequiresMountsFor=${STATUS_DIR}`,
      '',
      '[Service]',
      'Type=oneshot',
      `TimeoutStartSec=${h.timeoutMs + 30_000}ms`,
      `ExecStart=${execLine([APP_HEALTH, 'check', app.name, plan.uuid, STATUS_DIR, healthOutput(app.name), String(h.retries), String(h.startPeriodMs), h.onFailure, APP_LOG])}`,
    ]),
    [units.check]: text([
      ...HEAD(`sprocket: health check of app ${app.name}`),
      NO_START_LIMIT,
      appMountsLine(app),
      '',
      '[Service]',
      'Type=oneshot',
      `TimeoutStartSec=${h.timeoutMs}ms`,
      // Opened by the pod's systemd before it enters the app's root: the app cannot reach the file.
      ...appProcessLines(plan, app, [`StandardOutput=truncate:${healthOutput(app.name)}`, 'StandardError=inherit']),
      `ExecStart=${execLine(appCommand(app, h.exec))}`,
    ]),
    [units.ready]: text([
      ...HEAD(`sprocket: app ${app.name} is healthy`),
      `RequiresMountsFor=${STATUS_DIR}`,
      '',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      `TimeoutStartSec=${readyTimeoutMs}ms`,
      `ExecStart=${execLine([APP_HEALTH, 'wait', app.name, STATUS_DIR])}`,
    ]),
  };
}
