import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderAppUnit } from '../../../stage1-nspawn/app-unit.js';
import { socketUnits } from '../../../stage1-nspawn/app-socket.js';
import { parsePodPlan } from '../../../stage1-nspawn/plan.js';
import { writeStage1Root } from '../../../stage1-nspawn/stage1-root.js';
import { SprocketError } from '../../../src/errors.js';
import { basePlan } from './fixture.js';

/** web: socket-activated http (tcp 80) and dns (udp 53, 2 ports) beside a plain port; db: no activation. */
function socketPlan(dir = '/var/lib/sprocket/pods/x') {
  const p: any = basePlan();
  p.podDir = dir;
  p.stage1Root = path.join(dir, 'stage1');
  p.apps[0].ports = [
    { name: 'http', protocol: 'tcp', port: 80, socketActivated: true },
    { name: 'dns', protocol: 'UDP', port: 53, count: 2, socketActivated: true },
    { name: 'admin', protocol: 'tcp', port: 9000 },
  ];
  p.apps.push({ ...p.apps[0], name: 'db', ports: [] });
  return parsePodPlan(p);
}

test('a socket unit per socket-activated port: its port numbers, named after the port, starting the app; failure ends the pod with status 1', () => {
  const units = new Map(socketUnits(socketPlan()));
  assert.deepEqual([...units.keys()], ['web_http.socket', 'web_dns.socket']);
  const http = units.get('web_http.socket')!;
  assert.match(http, /^\[Socket\]\nListenStream=80\nFileDescriptorName=http\nService=web\.service$/m);
  assert.match(http, /^DefaultDependencies=no$/m);
  assert.match(http, /^FailureAction=exit\nFailureActionExitStatus=1$/m);
  assert.match(units.get('web_dns.socket')!, /^ListenDatagram=53\nListenDatagram=54\nFileDescriptorName=dns$/m);
});

test("a socket-activated app's unit pulls in its exit record itself (default.target does not start it), and the record of each start", () => {
  const plan = socketPlan();
  assert.match(renderAppUnit(plan, plan.apps[0]!), /^Wants=app-stopped@web\.service$/m);
  assert.match(renderAppUnit(plan, plan.apps[0]!), /^Wants=app-started@web\.service$/m);
  assert.doesNotMatch(renderAppUnit(plan, plan.apps[1]!), /^Wants=app-st/m);
});

test('the plan refuses a socket-activated port that is neither tcp nor udp, naming the field', () => {
  const p: any = basePlan();
  p.apps[0].ports = [{ name: 'x', protocol: 'sctp', port: 5, socketActivated: true }];
  assert.throws(() => parsePodPlan(p), (e: unknown) => e instanceof SprocketError && e.field === 'apps.0.ports.0.protocol' && /tcp or udp/.test(e.message));
  p.apps[0].ports[0].socketActivated = false;
  assert.doesNotThrow(() => parsePodPlan(p));
});

test('stage1 root: default.target starts the sockets of a socket-activated app, not the app; it is not in the list of apps that end the pod; a -.slice drop-in loads the sockets first; stale sockets go', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stage1-socket-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const plan = socketPlan(dir);
  const units = path.join(plan.stage1Root, 'etc/systemd/system');
  await writeStage1Root(plan);
  await writeFile(path.join(units, 'old_http.socket'), '');
  await writeStage1Root(plan);
  const target = await readFile(path.join(units, 'default.target'), 'utf8');
  assert.match(target, /^Wants=run-systemd-journal\.mount web_http\.socket web_dns\.socket db\.service app-stopped@db\.service$/m);
  assert.equal(await readFile(path.join(plan.stage1Root, 'sprocket/apps'), 'utf8'), 'db\n');
  assert.equal(await readFile(path.join(units, '-.slice.d/sprocket-sockets.conf'), 'utf8'), '[Unit]\nBefore=web_http.socket web_dns.socket\n');
  assert.deepEqual((await readdir(units)).filter((n) => n.endsWith('.socket') && n.includes('_')).sort(), ['web_dns.socket', 'web_http.socket']);

  const none: any = { ...plan, apps: plan.apps.map((a) => ({ ...a, ports: [] })) };
  await writeStage1Root(parsePodPlan(none));
  assert.deepEqual((await readdir(units)).filter((n) => n.endsWith('.socket') && n.includes('_')), []);
  await assert.rejects(stat(path.join(units, '-.slice.d')));
});
