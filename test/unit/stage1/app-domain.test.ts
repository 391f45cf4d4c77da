// Apps kept apart (stage1-nspawn/app-domain.ts): every command of an app's
// units through app-domain, what its unit lends it, and the pod's side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { healthUnits } from '../../../stage1-nspawn/app-health.js';
import { renderAppUnit } from '../../../stage1-nspawn/app-unit.js';
import { appIsolation, DEFAULT_CAPABILITIES } from '../../../stage1-nspawn/isolators.js';
import { nspawnArgv } from '../../../stage1-nspawn/nspawn-args.js';
import { parsePodPlan, type PlanApp, type PodPlan } from '../../../stage1-nspawn/plan.js';
import { writeStage1Root } from '../../../stage1-nspawn/stage1-root.js';
import type { Isolator } from '../../../src/spec/index.js';
import { basePlan } from './fixture.js';

const DOMAIN = '"/.sprocket/app-domain"';
const bare = { controllers: [], apparmorProfiles: null, selinux: false };
const isolation = (isolators: object[], seccompDefault = false) =>
  appIsolation(isolators as Isolator[], [], bare, { file: 'pod.json', field: 'apps[0].app.isolators' }, seccompDefault);

const planWith = (app: Partial<PlanApp> | Record<string, unknown> = {}): PodPlan => {
  const raw: any = basePlan();
  Object.assign(raw.apps[0], app);
  return parsePodPlan(raw);
};
const lines = (plan: PodPlan) => renderAppUnit(plan, plan.apps[0]!).split('\n');
const values = (all: string[], key: string) => all.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
/** The lines app-domain adds, as [key, value] after the app's own isolation lines. */
const lent = (plan: PodPlan) => {
  const all = lines(plan);
  return ['NoNewPrivileges', 'AmbientCapabilities'].map((k) => values(all, k)).concat([values(all, 'CapabilityBoundingSet').slice(1), values(all, 'ExecStart')]);
};

test('app-domain: every command of an app and its health check runs through it, in a root it is bound into; none with --share-processes', () => {
  const app = { preStart: ['/bin/pre'], postStop: ['/bin/post'], health: { exec: ['/bin/check'], intervalMs: 1000, timeoutMs: 1000, startPeriodMs: 0, retries: 1, onFailure: 'kill' } };
  const apart = planWith(app);
  const unit = lines(apart);
  const check = healthUnits(apart, apart.apps[0]!)['app-check@web.service']!.split('\n');
  const commands = [...unit, ...check].filter((l) => /^Exec[A-Za-z]*=/.test(l));
  assert.equal(commands.length, 4);
  for (const l of commands) assert.match(l, /^Exec[A-Za-z]+=-?"\/\.sprocket\/app-domain" ("CAP_[A-Z_]+" )*"--" "\/bin\//, l);
  for (const l of [unit, check]) assert.ok(values(l, 'BindReadOnlyPaths').includes('/sprocket/app-domain:/.sprocket/app-domain'));

  const shared = planWith({ ...app, shareProcesses: true });
  const sharedLines = [...lines(shared), ...healthUnits(shared, shared.apps[0]!)['app-check@web.service']!.split('\n')];
  assert.ok(!sharedLines.some((l) => l.includes('app-domain')));
  assert.deepEqual(values(sharedLines, 'CapabilityBoundingSet'), [DEFAULT_CAPABILITIES.join(' '), DEFAULT_CAPABILITIES.join(' ')]);
  assert.deepEqual(values(sharedLines, 'AmbientCapabilities'), []);
});

test('app-domain: what the unit lends it to make the domain, by user and no_new_privs', () => {
  // Root with appc's defaults: CAP_SYS_ADMIN in its bounding set, dropped again by app-domain (CAP_SETPCAP is the app's own).
  assert.deepEqual(lent(planWith()), [[], [], ['CAP_SYS_ADMIN'], [`${DOMAIN} "CAP_SYS_ADMIN" "--" "/bin/web"`]]);
  // Root without CAP_SETPCAP: both lent, both dropped.
  const kill = isolation([{ name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_KILL'] } }]);
  assert.deepEqual(lent(planWith({ isolation: kill })), [[], [], ['CAP_SYS_ADMIN CAP_SETPCAP'], [`${DOMAIN} "CAP_SYS_ADMIN" "CAP_SETPCAP" "--" "/bin/web"`]]);
  // Root that has both of its own, and an app under no_new_privs by its isolator: nothing lent.
  const admin = isolation([{ name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_SYS_ADMIN', 'CAP_SETPCAP'] } }]);
  assert.deepEqual(lent(planWith({ isolation: admin })), [[], [], [], [`${DOMAIN} "--" "/bin/web"`]]);
  const nnp = isolation([{ name: 'os/linux/no-new-privileges', value: true }]);
  assert.deepEqual(lent(planWith({ isolation: nnp, uid: 33 })), [['yes'], [], [], [`${DOMAIN} "--" "/bin/web"`]]);
  // Not root, with a seccomp filter: no_new_privs, as systemd sets it anyway; nothing lent.
  assert.deepEqual(lent(planWith({ isolation: isolation([], true), uid: 33 })), [['yes'], [], [], [`${DOMAIN} "--" "/bin/web"`]]);
  // Not root, without a filter: ambient, and CAP_SYS_ADMIN in the bounding set.
  assert.deepEqual(lent(planWith({ uid: 33 })), [[], ['CAP_SYS_ADMIN CAP_SETPCAP'], ['CAP_SYS_ADMIN'], [`${DOMAIN} "CAP_SYS_ADMIN" "--" "/bin/web"`]]);
});

test("app-domain: its calls are added to an app's seccomp filter after the app's own lines, and only to a filter", () => {
  const deny = lines(planWith({ isolation: isolation([], true) }));
  assert.equal(values(deny, 'SystemCallFilter').length, 2);
  assert.match(values(deny, 'SystemCallFilter')[0]!, /^~@clock /);
  assert.equal(values(deny, 'SystemCallFilter')[1], 'landlock_create_ruleset landlock_restrict_self capget prctl capset');
  const allow = lines(planWith({ isolation: isolation([{ name: 'os/linux/seccomp-retain-set', value: { set: ['@system-service'] } }]), uid: 33 }));
  assert.deepEqual(values(allow, 'SystemCallFilter'), ['@system-service', 'landlock_create_ruleset landlock_restrict_self capget']);
  assert.deepEqual(values(lines(planWith()), 'SystemCallFilter'), [], 'no filter: none made');
});

test("app-domain: the pod binds sprocket's build of it and allows Landlock's calls when an app is kept apart; its mount point in the app's root", async (t) => {
  const argv = nspawnArgv(planWith());
  assert.ok(argv.some((a) => /^--bind-ro=\/.*\/dist\/stage1-nspawn\/app-domain:\/sprocket\/app-domain$/.test(a)), argv.join(' '));
  assert.ok(argv.includes('--system-call-filter=landlock_create_ruleset landlock_restrict_self'));
  assert.ok(!nspawnArgv(planWith({ shareProcesses: true })).some((a) => a.includes('app-domain') || a.includes('landlock')));

  const dir = await mkdtemp(path.join(os.tmpdir(), 'stage1-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const raw: any = basePlan();
  Object.assign(raw, { podDir: dir, stage1Root: path.join(dir, 'stage1') });
  raw.apps.push({ ...raw.apps[0], name: 'db', shareProcesses: true });
  await writeStage1Root(parsePodPlan(raw));
  assert.ok((await stat(path.join(dir, 'apps/web/upper/.sprocket/app-domain'))).isFile());
  await assert.rejects(stat(path.join(dir, 'apps/db/upper/.sprocket/app-domain')));
});
