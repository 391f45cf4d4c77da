// Secrets in stage1: nspawn reads each app's files (paths only on its
// command line), the app's unit takes its own from the pod's systemd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderAppUnit } from '../../../stage1-nspawn/app-unit.js';
import { healthUnits } from '../../../stage1-nspawn/app-health.js';
import { nspawnArgv } from '../../../stage1-nspawn/nspawn-args.js';
import { parsePodPlan } from '../../../stage1-nspawn/plan.js';
import { writeStage1Root } from '../../../stage1-nspawn/stage1-root.js';
import { SprocketError } from '../../../src/errors.js';
import { basePlan } from './fixture.js';

/** web with secrets token and db-pass:word's file, db with its own token: the same name, another credential. */
const twoApps = (change: (p: any) => void = () => {}) => {
  const p: any = basePlan();
  p.apps[0].secrets = [{ name: 'token', source: '/etc/keys/web' }, { name: 'db.pass', source: '/etc/keys/pass:word' }];
  p.apps.push({ ...p.apps[0], name: 'db', secrets: [{ name: 'token', source: '/etc/keys/db' }] });
  change(p);
  return parsePodPlan(p);
};
const lines = (text: string, key: string) => text.split('\n').filter((l) => l.startsWith(`${key}=`));

test('nspawn loads every secret file as a credential named by app and secret (the path after the first colon, as is)', () => {
  const argv = nspawnArgv(twoApps());
  assert.deepEqual(argv.filter((a) => a.startsWith('--load-credential=')), [
    '--load-credential=web.token:/etc/keys/web',
    '--load-credential=web.db.pass:/etc/keys/pass:word',
    '--load-credential=db.token:/etc/keys/db',
  ]);
  assert.ok(!nspawnArgv(parsePodPlan(basePlan())).some((a) => a.startsWith('--load-credential')), 'none without secrets');
});

test("each app's unit, and its health check, takes its own secrets from the pod's systemd by name", () => {
  const plan = twoApps((p) => (p.apps[0].health = { exec: ['/bin/check'] }));
  assert.deepEqual(lines(renderAppUnit(plan, plan.apps[0]!), 'LoadCredential'), ['LoadCredential=token:web.token', 'LoadCredential=db.pass:web.db.pass']);
  assert.deepEqual(lines(renderAppUnit(plan, plan.apps[1]!), 'LoadCredential'), ['LoadCredential=token:db.token']);
  assert.deepEqual(lines(healthUnits(plan, plan.apps[0]!)['app-check@web.service']!, 'LoadCredential'), ['LoadCredential=token:web.token', 'LoadCredential=db.pass:web.db.pass']);
  assert.deepEqual(lines(renderAppUnit(parsePodPlan(basePlan()), parsePodPlan(basePlan()).apps[0]!), 'LoadCredential'), []);
});

test('the plan refuses a bad secret name, a name twice in one app, a relative path and a credential name too long for systemd', () => {
  const refused = (change: (p: any) => void, re: RegExp) =>
    assert.throws(() => twoApps(change), (e: unknown) => e instanceof SprocketError && re.test(e.describe()));
  refused((p) => (p.apps[0].secrets[0].name = 'a/b'), /apps\.0\.secrets\.0\.name: must be a secret name/);
  refused((p) => (p.apps[0].secrets[0].name = '..'), /must be a secret name/);
  refused((p) => (p.apps[0].secrets[1].name = 'token'), /apps\.0\.secrets: names must be unique/);
  refused((p) => (p.apps[0].secrets[0].source = 'keys/web'), /apps\.0\.secrets\.0\.source: must be an absolute path/);
  refused((p) => Object.assign(p.apps[1], { name: 'd'.repeat(200), secrets: [{ name: 's'.repeat(60), source: '/k' }] }), /apps\.1\.secrets\.0\.name: app name and secret name together must be at most 254 characters/);
});

test("stage1 root: the mount point of an app's credentials is made in its upper dir (a read-only root could not get it later)", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stage1-secrets-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const plan = twoApps((p) => {
    p.podDir = dir;
    p.stage1Root = path.join(dir, 'stage1');
    p.apps[0].readOnlyRootFS = true;
    p.apps.push({ ...p.apps[1], name: 'plain', secrets: [] });
  });
  await writeStage1Root(plan);
  assert.ok((await stat(path.join(dir, 'apps/web/upper/run/credentials'))).isDirectory());
  await assert.rejects(stat(path.join(dir, 'apps/plain/upper/run/credentials')), 'none for an app without secrets');
});
