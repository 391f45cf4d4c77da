import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthUnits } from '../../../stage1-nspawn/app-health.js';
import { renderAppUnit } from '../../../stage1-nspawn/app-unit.js';
import { parsePodPlan, type PodPlan } from '../../../stage1-nspawn/plan.js';
import { basePlan } from './fixture.js';

const planWith = (health?: object): PodPlan => {
  const raw: any = basePlan();
  Object.assign(raw.apps[0], { uid: 33, gid: 34, ...(health ? { health } : {}) });
  return parsePodPlan(raw);
};
const values = (text: string, key: string) => text.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

test('a checked app: a timer, a keeper in the pod\'s root, the check in the app\'s root as the app, and a readiness wait', () => {
  const plan = planWith({ exec: ['/bin/sh', '-c', 'wget -q http://127.0.0.1/ || exit 1'], intervalMs: 2000, timeoutMs: 500, startPeriodMs: 1000, retries: 2, onFailure: 'stop' });
  const app = plan.apps[0]!;
  const units = healthUnits(plan, app);
  assert.deepEqual(Object.keys(units), ['app-health@web.timer', 'app-health@web.service', 'app-check@web.service', 'app-healthy@web.service']);
  const timer = units['app-health@web.timer']!;
  assert.deepEqual([values(timer, 'OnActiveSec'), values(timer, 'OnUnitInactiveSec'), values(timer, 'AccuracySec')], [['0'], ['2000ms'], ['1ms']]);
  assert.deepEqual(values(timer, 'PartOf'), ['web.service']);
  const keeper = units['app-health@web.service']!;
  assert.deepEqual(values(keeper, 'ExecStart'), [`"/sprocket/app-health" "check" "web" "${plan.uuid}" "/sprocket/status" "/run/sprocket-health/web.out" "2" "1000" "stop" "/sprocket/app-log"`]);
  assert.deepEqual(values(keeper, 'RootDirectory'), []);
  assert.deepEqual(values(keeper, 'StartLimitIntervalSec'), ['0']);
  // The check runs as the app's own unit runs the app: the same root, user, environment and mounts.
  const check = units['app-check@web.service']!;
  const appUnit = renderAppUnit(plan, app);
  for (const key of ['RootDirectory', 'User', 'Group', 'Environment', 'BindReadOnlyPaths', 'CapabilityBoundingSet', 'AmbientCapabilities', 'NoNewPrivileges', 'SystemCallFilter', 'ProtectControlGroups', 'InaccessiblePaths']) {
    assert.deepEqual(values(check, key), values(appUnit, key), key);
  }
  assert.deepEqual(values(check, 'ProtectControlGroups'), ['yes']);
  // In a Landlock domain of its own, as every command of an app kept apart (test/unit/stage1/app-domain.test.ts).
  assert.deepEqual(values(check, 'ExecStart'), ['"/.sprocket/app-domain" "CAP_SYS_ADMIN" "--" "/bin/sh" "-c" "wget -q http://127.0.0.1/ || exit 1"']);
  assert.deepEqual([values(check, 'Type'), values(check, 'TimeoutStartSec')], [['oneshot'], ['500ms']]);
  assert.deepEqual(values(check, 'StandardOutput'), ['truncate:/run/sprocket-health/web.out']);
  // Ready once healthy; decided within the start period and retries + 1 rounds.
  const ready = units['app-healthy@web.service']!;
  assert.deepEqual(values(ready, 'ExecStart'), ['"/sprocket/app-health" "wait" "web" "/sprocket/status"']);
  assert.deepEqual(values(ready, 'TimeoutStartSec'), [`${1000 + 3 * 2500 + 10_000}ms`]);
  // The app's unit pulls the timer and the wait in, at every start.
  assert.deepEqual(values(appUnit, 'Wants'), ['app-health@web.timer app-healthy@web.service', 'app-log.service']);
});

test('an app without a check has no health units and wants none', () => {
  const plan = planWith();
  assert.deepEqual(healthUnits(plan, plan.apps[0]!), {});
  assert.deepEqual(values(renderAppUnit(plan, plan.apps[0]!), 'Wants'), ['app-log.service']);
  assert.throws(() => planWith({ exec: ['/bin/true'], retries: 0 }));
});
