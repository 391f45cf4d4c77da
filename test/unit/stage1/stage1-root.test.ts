import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readlink, readdir, rm, stat, symlink, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parsePodPlan } from '../../../stage1-nspawn/plan.js';
import { writeStage1Root } from '../../../stage1-nspawn/stage1-root.js';
import { podLimits } from '../../../stage1-nspawn/pod-limits.js';
import { SprocketError } from '../../../src/errors.js';
import { basePlan } from './fixture.js';

async function planIn(dir: string) {
  const p: any = basePlan();
  p.podDir = dir;
  p.stage1Root = path.join(dir, 'stage1');
  p.apps.push({ ...p.apps[0], name: 'db' });
  p.volumes = [{ name: 'data', kind: 'empty', mode: 0o1770, uid: 12, gid: 34 }, { name: 'db/data', kind: 'empty', mode: 0o700, uid: 5, gid: 6 }];
  return parsePodPlan(p);
}

test("stage1 root: tree, units, links to the host's units, scripts, per-pod dirs; writing twice gives the same", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stage1-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const plan = await planIn(dir);
  await writeStage1Root(plan);
  await writeStage1Root(plan);
  const root = plan.stage1Root;
  assert.equal(await readlink(path.join(root, 'lib64')), 'usr/lib64');
  assert.deepEqual(await readdir(path.join(root, 'usr')), []);
  assert.equal(await readFile(path.join(root, 'etc/machine-id'), 'utf8'), '');
  const target = await readFile(path.join(root, 'etc/systemd/system/default.target'), 'utf8');
  assert.match(target, /^Wants=run-systemd-journal\.mount web\.service app-stopped@web\.service db\.service app-stopped@db\.service$/m);
  // The pod's own units log to the host's journal at its usual path in the pod, bound by the pod's systemd (no app's root has it).
  assert.match(await readFile(path.join(root, 'etc/systemd/system/run-systemd-journal.mount'), 'utf8'), /^What=\/sprocket\/journal\nWhere=\/run\/systemd\/journal\nType=none\nOptions=bind$/m);
  assert.match(await readFile(path.join(root, 'etc/systemd/system/db.service'), 'utf8'), /^RootDirectory=\/opt\/stage2\/db\/rootfs$/m);
  // The host's units that end the pod, linked: the only ones of the host's on the pod's unit path.
  assert.equal(await readlink(path.join(root, 'etc/systemd/system/exit.target')), '/usr/lib/systemd/system/exit.target');
  assert.equal(await readlink(path.join(root, 'etc/systemd/system/systemd-halt.service')), '/usr/lib/systemd/system/systemd-halt.service');
  // Mount units without default dependencies: they would load sysinit.target and what it wants.
  assert.equal(await readFile(path.join(root, 'etc/systemd/system/mount.d/sprocket.conf'), 'utf8'), '[Unit]\nDefaultDependencies=no\n');
  assert.equal(await readFile(path.join(root, 'sprocket/apps'), 'utf8'), 'web\ndb\n');
  assert.ok(((await stat(path.join(root, 'sprocket/app-stopped'))).mode & 0o111) !== 0);
  assert.ok((await stat(path.join(dir, 'status'))).isDirectory());
  // Mount points of the journal's sockets alone (no control socket: apps get no directory of journald's).
  assert.deepEqual((await readdir(path.join(dir, 'apps/db/upper/run/systemd/journal'))).sort(), ['dev-log', 'socket', 'stdout']);
  assert.match(await readFile(path.join(root, 'etc/systemd/system/app-log.service'), 'utf8'), /^ExecStart="\/sprocket\/app-log" "\/run\/sprocket-log" "web" "db"$/m);
  assert.ok(((await stat(path.join(root, 'sprocket/app-log'))).mode & 0o111) !== 0);
  assert.match(await readFile(path.join(root, 'etc/systemd/system/app-log.socket'), 'utf8'), /^ListenFIFO=\/run\/sprocket-log\/db\.stderr$/m);
  assert.ok(((await stat(path.join(root, 'sprocket/app-log-stopped'))).mode & 0o111) !== 0);
  const volume = await stat(path.join(dir, 'volumes/data'));
  assert.deepEqual([volume.mode & 0o7777, volume.uid, volume.gid], [0o1770, 12, 34]);
  const own = await stat(path.join(dir, 'app-volumes/db/data'));
  assert.deepEqual([own.mode & 0o7777, own.uid, own.gid], [0o700, 5, 6]);
  assert.ok((await stat(path.join(root, 'sprocket/app-volumes/db/data'))).isDirectory());
});

test("stage1 root: the pod's open-files limit is its systemd's default for every unit (that systemd raises a service's hard limit past its own)", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stage1-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const plan = await planIn(dir);
  const conf = path.join(plan.stage1Root, 'etc/systemd/system.conf.d/sprocket-limits.conf');
  await writeStage1Root(plan);
  await assert.rejects(stat(conf), 'a plan of an older sprocket has no limits');
  await writeStage1Root({ ...plan, isolation: { ...plan.isolation, limits: podLimits({ nofile: 256 }) } });
  assert.equal(await readFile(conf, 'utf8'), '[Manager]\nDefaultLimitNOFILE=256:256\n');
});

test('stage1 root: refuses to follow a link an app planted in its upper dir', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stage1-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const plan = await planIn(dir);
  await mkdir(path.join(dir, 'apps/web/upper'), { recursive: true });
  await symlink(path.join(dir, 'elsewhere'), path.join(dir, 'apps/web/upper/run'));
  await assert.rejects(writeStage1Root(plan), (e: unknown) => e instanceof SprocketError && e.field === 'apps.0');
  await assert.rejects(stat(path.join(dir, 'elsewhere')));
});

test('stage1 root: a missing host volume is refused before anything is written', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stage1-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const p: any = basePlan();
  p.podDir = dir;
  p.stage1Root = path.join(dir, 'stage1');
  p.volumes = [{ name: 'conf', kind: 'host', source: path.join(dir, 'nope') }];
  await assert.rejects(writeStage1Root(parsePodPlan(p)), (e: unknown) => e instanceof SprocketError && e.field === 'volumes.0.source');
  assert.deepEqual(await readdir(dir), []);
});
