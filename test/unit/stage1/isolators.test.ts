import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAppUnit } from '../../../stage1-nspawn/app-unit.js';
import { hostUnitProperties } from '../../../stage1-nspawn/host-unit.js';
import { appIsolation, DEFAULT_CAPABILITIES, DEFAULT_SECCOMP_DENY, podIsolation, reportLines, requireEnforced, type HostSupport } from '../../../stage1-nspawn/isolators.js';
import { parsePodPlan } from '../../../stage1-nspawn/plan.js';
import { SprocketError } from '../../../src/errors.js';
import type { Isolator } from '../../../src/spec/index.js';
import { basePlan } from './fixture.js';

const bare: HostSupport = { controllers: [], apparmorProfiles: null, selinux: false };
const full: HostSupport = { controllers: ['cpu', 'memory'], apparmorProfiles: ['web-profile'], selinux: true };
const at = { file: 'pod.json', field: 'apps[0].app.isolators' };
const iso = (name: string, value: unknown) => ({ name, value }) as Isolator;
const outcomes = (r: { report: { isolator: string; outcome: string }[] }) => r.report.map((e) => `${e.isolator} ${e.outcome}`);

/** The unit of an app with `isolation`, shared: app-domain's own lines (test/unit/stage1/app-domain.test.ts) left out. */
function unitOf(isolation: ReturnType<typeof appIsolation>, change: (p: any) => void = () => {}) {
  const raw: any = basePlan();
  raw.apps[0].isolation = isolation;
  raw.apps[0].shareProcesses = true;
  change(raw);
  const plan = parsePodPlan(raw);
  return renderAppUnit(plan, plan.apps[0]!).split('\n');
}
const values = (lines: string[], key: string) => lines.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

test('isolators: an app without isolators gets the 14 default capabilities and nothing to report', () => {
  const i = appIsolation([], [], bare, at, false);
  assert.equal(DEFAULT_CAPABILITIES.length, 14);
  assert.deepEqual(i.capabilities, DEFAULT_CAPABILITIES);
  assert.deepEqual(i.report, []);
  assert.deepEqual(values(unitOf(i), 'CapabilityBoundingSet'), [DEFAULT_CAPABILITIES.join(' ')]);
  assert.deepEqual(values(unitOf(i), 'NoNewPrivileges'), []);
});

test('isolators: capability sets; what nspawn does not grant is reported as modified', () => {
  const retain = appIsolation([iso('os/linux/capabilities-retain-set', { set: ['CAP_KILL', 'CAP_SYS_MODULE'] })], [], bare, at, false);
  assert.deepEqual(retain.capabilities, ['CAP_KILL']);
  assert.deepEqual(outcomes(retain), ['os/linux/capabilities-retain-set modified']);
  assert.match(retain.report[0]!.detail, /CAP_SYS_MODULE/);
  const remove = appIsolation([iso('os/linux/capabilities-remove-set', { set: ['CAP_CHOWN', 'CAP_MKNOD'] })], [], bare, at, false);
  assert.deepEqual(remove.capabilities, DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN' && c !== 'CAP_MKNOD'));
  assert.deepEqual(outcomes(remove), ['os/linux/capabilities-remove-set enforced']);
});

test('isolators: seccomp sets, errno, wildcards and an unknown errno', () => {
  const removed = appIsolation([iso('os/linux/seccomp-remove-set', { set: ['mkdir', '@mount'], errno: 'ENOSYS' })], [], bare, at, false);
  const lines = unitOf(removed);
  assert.deepEqual(values(lines, 'SystemCallFilter'), ['~mkdir @mount']);
  assert.deepEqual(values(lines, 'SystemCallErrorNumber'), ['ENOSYS']);
  const retained = appIsolation([iso('os/linux/seccomp-retain-set', { set: ['read', 'write'] })], [], bare, at, false);
  assert.deepEqual(values(unitOf(retained), 'SystemCallFilter'), ['read write']);
  assert.deepEqual(values(unitOf(retained), 'SystemCallErrorNumber'), [], 'no errno: killed by SIGSYS');
  assert.equal(appIsolation([iso('os/linux/seccomp-retain-set', { set: ['@appc.io/all'] })], [], bare, at, false).seccomp, undefined);
  assert.equal(appIsolation([iso('os/linux/seccomp-remove-set', { set: ['@appc.io/empty'] })], [], bare, at, false).seccomp, undefined);
  const unknown = appIsolation([iso('os/linux/seccomp-remove-set', { set: ['mkdir'], errno: 'ENOTANERRNO' })], [], bare, at, false);
  assert.equal(unknown.seccomp?.errno, 'EPERM');
  assert.deepEqual(outcomes(unknown), ['os/linux/seccomp-remove-set modified']);
});

test("isolators: sprocket's default seccomp filter, alone (EPERM) or after the app's own set, which it narrows", () => {
  const deny = `~${DEFAULT_SECCOMP_DENY.join(' ')}`;
  const plain = unitOf(appIsolation([], [], bare, at, true));
  assert.deepEqual(values(plain, 'SystemCallFilter'), [deny]);
  assert.deepEqual(values(plain, 'SystemCallErrorNumber'), ['EPERM']);
  // An allow list first: systemd takes the default's calls out of it. A deny list first: they are added to it.
  const retained = appIsolation([iso('os/linux/seccomp-retain-set', { set: ['@system-service', 'mount'] })], [], bare, at, true);
  assert.deepEqual(values(unitOf(retained), 'SystemCallFilter'), ['@system-service mount', deny]);
  assert.deepEqual(values(unitOf(retained), 'SystemCallErrorNumber'), [], "the app's own errno (none: SIGSYS) for the whole filter");
  assert.match(retained.report[0]!.detail, /and sprocket's default filter/);
  const removed = appIsolation([iso('os/linux/seccomp-remove-set', { set: ['mkdir'], errno: 'ENOSYS' })], [], bare, at, true);
  assert.deepEqual(values(unitOf(removed), 'SystemCallFilter'), ['~mkdir', deny]);
  assert.deepEqual(values(unitOf(removed), 'SystemCallErrorNumber'), ['ENOSYS']);
  const all = appIsolation([iso('os/linux/seccomp-retain-set', { set: ['@appc.io/all'] })], [], bare, at, true);
  assert.deepEqual(values(unitOf(all), 'SystemCallFilter'), [deny]);
  // appc's default capabilities include CAP_SYS_CHROOT: chroot stays allowed.
  assert.ok(!DEFAULT_SECCOMP_DENY.includes('chroot') && !DEFAULT_SECCOMP_DENY.includes('@mount'));
  assert.deepEqual(values(unitOf(appIsolation([], [], bare, at, false)), 'SystemCallFilter'), [], 'without it: no filter');
});

test('isolators: resources are ignored without controllers, enforced or modified with them', () => {
  const list = [
    iso('resource/memory', { request: '1.5', limit: '512Mi' }),
    iso('resource/cpu', { request: '250m', limit: '1234m' }),
    iso('resource/network-bandwidth', { default: true, limit: '1M' }),
    iso('os/linux/oom-score-adj', -100),
  ];
  assert.deepEqual(outcomes(appIsolation(list, [], bare, at, false)), [
    'resource/memory ignored', 'resource/memory ignored', 'resource/cpu ignored', 'resource/cpu ignored',
    'os/linux/oom-score-adj enforced', 'resource/network-bandwidth ignored',
  ]);
  const i = appIsolation(list, [], full, at, false);
  assert.deepEqual(outcomes(i), [
    'resource/memory enforced', 'resource/memory modified', 'resource/cpu modified', 'resource/cpu enforced',
    'os/linux/oom-score-adj enforced', 'resource/network-bandwidth ignored',
  ]);
  const lines = unitOf(i);
  assert.deepEqual(values(lines, 'MemoryMax'), [String(512 * 2 ** 20)]);
  assert.deepEqual(values(lines, 'MemoryLow'), ['1']);
  assert.deepEqual(values(lines, 'CPUQuota'), ['123%']);
  assert.deepEqual(values(lines, 'CPUWeight'), ['25']);
  assert.deepEqual(values(lines, 'OOMScoreAdjust'), ['-100']);
  const shares = appIsolation([iso('os/linux/cpu-shares', 2048), iso('resource/cpu', { request: '1' })], [], full, at, false);
  assert.equal(shares.cpuWeight, 200);
  assert.deepEqual(outcomes(shares), ['os/linux/cpu-shares enforced', 'resource/cpu ignored']);
});

test('isolators: AppArmor refused when the profile is not loaded, ignored without AppArmor; SELinux from the pod', () => {
  const profile = (p: string) => [iso('os/linux/apparmor-profile', { profile: p })];
  assert.throws(() => appIsolation(profile('missing'), [], full, at, false), (e: unknown) => e instanceof SprocketError && /not loaded/.test(e.message) && e.field === at.field);
  assert.deepEqual(outcomes(appIsolation(profile('missing'), [], bare, at, false)), ['os/linux/apparmor-profile ignored']);
  const i = appIsolation(profile('web-profile'), [iso('os/linux/selinux-context', { user: 'u', role: 'r', type: 't', level: 's0:c1' })], full, at, false);
  assert.deepEqual(values(unitOf(i), 'AppArmorProfile'), ['web-profile']);
  assert.deepEqual(values(unitOf(i), 'SELinuxContext'), ['u:r:t:s0:c1']);
});

test('isolators: pod sysctls only in the pod namespaces; pod resources on the host unit', () => {
  const pod = [iso('os/unix/sysctl', { 'kernel.msgmax': '9000', 'net.ipv4.ip_forward': '1' }), iso('resource/memory', { limit: '1G' })];
  assert.throws(() => podIsolation(pod, 'host', full, at), /net\.ipv4\.ip_forward is not one of the pod's namespaces/);
  assert.throws(() => podIsolation([iso('os/unix/sysctl', { 'kernel.panic': '1' })], 'none', full, at), /kernel\.panic/);
  const i = podIsolation(pod, 'none', full, at);
  assert.deepEqual(i.sysctls, [{ key: 'kernel.msgmax', value: '9000' }, { key: 'net.ipv4.ip_forward', value: '1' }]);
  const raw: any = basePlan();
  raw.isolation = i;
  const plan = parsePodPlan(raw);
  assert.equal(hostUnitProperties(plan).MemoryMax, 1e9);
  const lines = renderAppUnit(plan, plan.apps[0]!).split('\n');
  assert.deepEqual(values(lines, 'Requires'), ['sprocket-sysctl.service', 'app-log.socket']);
  assert.deepEqual(outcomes(podIsolation([iso('example.com/custom', 1)], 'host', bare, at)), ['example.com/custom ignored']);
});

test('isolators: --strict-isolators refuses what is not enforced; report lines name the app', () => {
  const raw: any = basePlan();
  raw.apps[0].isolation = appIsolation([iso('resource/memory', { limit: '1G' }), iso('os/linux/no-new-privileges', true)], [], bare, at, false);
  const plan = parsePodPlan(raw);
  assert.deepEqual(reportLines(plan), [
    'app web: isolator resource/memory ignored: MemoryMax=1000000000 is set, but this host gives pods no cgroup memory controller',
    'app web: isolator os/linux/no-new-privileges enforced: NoNewPrivileges=yes',
  ]);
  assert.throws(() => requireEnforced(plan, 'pod.json'), /app web: resource\/memory ignored/);
  raw.apps[0].isolation = appIsolation([iso('os/linux/no-new-privileges', true)], [], bare, at, false);
  requireEnforced(parsePodPlan(raw), 'pod.json');
});

test('sensitive paths: the pod /proc bound, firmware hidden; --insecure-options=paths leaves them', () => {
  const lines = unitOf(appIsolation([], [], bare, at, false));
  assert.ok(values(lines, 'BindPaths').includes('/proc'));
  assert.match(values(lines, 'InaccessiblePaths')[0]!, /-\/opt\/stage2\/web\/rootfs\/sys\/firmware/);
  const open = unitOf(appIsolation([], [], bare, at, false), (p) => { p.insecurePaths = true; });
  assert.deepEqual(values(open, 'BindPaths'), []);
  assert.deepEqual(values(open, 'InaccessiblePaths'), []);
});

test('readiness: a notify app is Type=notify with the notify socket in its root', () => {
  const lines = unitOf(appIsolation([], [], bare, at, false), (p) => { p.apps[0].notify = true; });
  assert.deepEqual(values(lines, 'Type'), ['notify']);
  assert.deepEqual(values(lines, 'NotifyAccess'), ['all']);
  assert.ok(values(lines, 'BindPaths').includes('/run/systemd/notify'));
});
