import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCases, image, pod, type Doc } from './cases.js';
import { SYSTEMD_SYSCALL_GROUPS } from '../../../src/spec/syscall-groups.js';
import { parseImageManifest, parsePodManifest, quantityValue, findIsolator, ISOLATOR_NAMES } from '../../../src/spec/index.js';

const iso = (name: string, value: unknown) => ({ name, value });
const appIsolators = (...list: unknown[]) => (d: Doc) => (d.app.isolators = list);
const podIsolators = (...list: unknown[]) => (d: Doc) => (d.isolators = list);
const cpu = (value: unknown) => iso('resource/cpu', value);
const seccompRemove = (value: unknown) => iso('os/linux/seccomp-remove-set', value);

runCases(parseImageManifest, image, [
  { rule: 'resource/cpu', change: appIsolators(cpu({ request: '250m', limit: '1' })) },
  { rule: 'resource/cpu quantity', change: appIsolators(cpu({ limit: '-1' })), error: 'app.isolators[0].value.limit: "-1" is not a quantity (like 500m, 1G, 512Mi)' },
  { rule: 'resource/cpu default', change: appIsolators(cpu({ default: true, limit: '1' })), error: 'app.isolators[0].value.default: default must be false (or absent) for this resource' },
  { rule: 'resource/memory', change: appIsolators(iso('resource/memory', { request: '1G', limit: '512Mi' })) },
  { rule: 'resource/memory as a number of bytes', change: appIsolators(iso('resource/memory', { request: 1024, limit: '1G' })) },
  { rule: 'resource/memory quantity', change: appIsolators(iso('resource/memory', { limit: '1GB' })), error: 'app.isolators[0].value.limit: "1GB" is not a quantity (like 500m, 1G, 512Mi)' },
  { rule: 'resource/block-bandwidth', change: appIsolators(iso('resource/block-bandwidth', { default: true, limit: '2M' })) },
  { rule: 'resource/block-bandwidth default', change: appIsolators(iso('resource/block-bandwidth', { limit: '2M' })), error: 'app.isolators[0].value.default: default must be true' },
  { rule: 'resource/block-iops', change: appIsolators(iso('resource/block-iops', { default: true, limit: '1000' })) },
  { rule: 'resource/block-iops request', change: appIsolators(iso('resource/block-iops', { default: true, request: '1', limit: '1000' })), error: 'app.isolators[0].value.request: request is not supported by this resource' },
  { rule: 'resource/network-bandwidth', change: appIsolators(iso('resource/network-bandwidth', { default: true, limit: '1G' })) },
  { rule: 'resource/network-bandwidth default', change: appIsolators(iso('resource/network-bandwidth', { default: false, limit: '1G' })), error: 'app.isolators[0].value.default: default must be true' },
  { rule: 'capabilities-retain-set', change: appIsolators(iso('os/linux/capabilities-retain-set', { set: ['CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE'] })) },
  // Any names validate, as with actool; one Linux does not know is refused at run (runnable.test.ts).
  { rule: 'capabilities-retain-set names', change: appIsolators(iso('os/linux/capabilities-retain-set', { set: ['NET_ADMIN'] })) },
  { rule: 'capabilities-remove-set', change: appIsolators(iso('os/linux/capabilities-remove-set', { set: ['CAP_SYS_CHROOT', 'CAP_MKNOD'] })) },
  { rule: 'capabilities-remove-set empty', change: appIsolators(iso('os/linux/capabilities-remove-set', { set: [] })), error: 'app.isolators[0].value.set: the set must not be empty' },
  { rule: 'capabilities retain and remove', change: appIsolators(iso('os/linux/capabilities-remove-set', { set: ['CAP_MKNOD'] }), iso('os/linux/capabilities-retain-set', { set: ['CAP_KILL'] })), error: 'app.isolators[1].name: os/linux/capabilities-retain-set cannot be combined with os/linux/capabilities-remove-set (isolators[0])' },
  { rule: 'no-new-privileges', change: appIsolators(iso('os/linux/no-new-privileges', true)) },
  { rule: 'no-new-privileges boolean', change: appIsolators(iso('os/linux/no-new-privileges', 'yes')), error: 'app.isolators[0].value: expected boolean, got string "yes"' },
  { rule: 'seccomp-remove-set', change: appIsolators(seccompRemove({ errno: 'ENOTSUP', set: ['clock_adjtime', 'reboot'] })) },
  { rule: 'seccomp-remove-set wildcard', change: appIsolators(seccompRemove({ set: ['@appc.io/empty', '@sprocket/x'] })) },
  { rule: 'seccomp-remove-set wildcard of the other set', change: appIsolators(seccompRemove({ set: ['@appc.io/all'] })), error: 'app.isolators[0].value.set[0]: "@appc.io/all" is not a wildcard of this set (@appc.io/empty is)' },
  { rule: 'seccomp-remove-set errno form', change: appIsolators(seccompRemove({ errno: 'eperm', set: ['reboot'] })), error: 'app.isolators[0].value.errno: "eperm" is not an errno name (all uppercase, like EPERM)' },
  { rule: 'seccomp-remove-set syscall name', change: appIsolators(seccompRemove({ set: ['Reboot'] })), error: 'app.isolators[0].value.set[0]: "Reboot" is not a syscall name' },
  { rule: 'seccomp-retain-set systemd syscall groups (sprocket\'s extension)', change: appIsolators(iso('os/linux/seccomp-retain-set', { set: ['@system-service', '@mount', 'read'] })) },
  { rule: 'seccomp-remove-set unknown systemd syscall group', change: appIsolators(seccompRemove({ set: ['@mounts'] })), error: `app.isolators[0].value.set[0]: "@mounts" is not a systemd syscall group (systemd 252 knows ${SYSTEMD_SYSCALL_GROUPS.join(' ')})` },
  { rule: 'seccomp-retain-set empty errno', change: appIsolators(iso('os/linux/seccomp-retain-set', { errno: '', set: ['@appc.io/all', 'read'] })) },
  { rule: 'seccomp-retain-set empty', change: appIsolators(iso('os/linux/seccomp-retain-set', { set: [] })), error: 'app.isolators[0].value.set: the set must not be empty' },
  { rule: 'seccomp once', change: appIsolators(seccompRemove({ set: ['reboot'] }), seccompRemove({ set: ['kill'] })), error: 'app.isolators[1].name: os/linux/seccomp-remove-set may be given only once per app' },
  { rule: 'seccomp retain and remove', change: appIsolators(seccompRemove({ set: ['reboot'] }), iso('os/linux/seccomp-retain-set', { set: ['read'] })), error: 'app.isolators[1].name: os/linux/seccomp-retain-set cannot be combined with os/linux/seccomp-remove-set (isolators[0])' },
  { rule: 'selinux-context', change: appIsolators(iso('os/linux/selinux-context', { user: 'system_u', role: 'system_r', type: 'dhcpc_t', level: 's0:c1,c2' })) },
  { rule: 'selinux-context colon', change: appIsolators(iso('os/linux/selinux-context', { user: 'system_u', role: 'a:b', type: 't', level: 's0' })), error: 'app.isolators[0].value.role: "a:b" is not a SELinux role (not empty, no ":")' },
  { rule: 'selinux-context level', change: appIsolators(iso('os/linux/selinux-context', { user: 'u', role: 'r', type: 't', level: '' })), error: 'app.isolators[0].value.level: "" is not a SELinux level (not empty)' },
  { rule: 'apparmor-profile', change: appIsolators(iso('os/linux/apparmor-profile', { profile: 'rkt-default' })) },
  { rule: 'apparmor-profile empty', change: appIsolators(iso('os/linux/apparmor-profile', { profile: '' })), error: 'app.isolators[0].value.profile: the profile name must not be empty' },
  { rule: 'oom-score-adj', change: appIsolators(iso('os/linux/oom-score-adj', -1000)) },
  { rule: 'oom-score-adj range', change: appIsolators(iso('os/linux/oom-score-adj', 1001)), error: 'app.isolators[0].value: 1001 is not an integer from -1000 to 1000' },
  { rule: 'cpu-shares', change: appIsolators(iso('os/linux/cpu-shares', 1024)) },
  { rule: 'cpu-shares range', change: appIsolators(iso('os/linux/cpu-shares', 1)), error: 'app.isolators[0].value: 1 is not an integer from 2 to 262144' },
  { rule: 'cpu-shares once', change: appIsolators(iso('os/linux/cpu-shares', 2), iso('os/linux/cpu-shares', 3)), error: 'app.isolators[1].name: os/linux/cpu-shares may be given only once per app' },
  // A scope spec/ace.md does not name validates, as with actool; it is refused at run (runnable.test.ts).
  { rule: 'sysctl in an app', change: appIsolators(iso('os/unix/sysctl', {})) },
  { rule: 'unknown isolator in an app', change: appIsolators(iso('example.com/gpu', 1)), error: `app.isolators[0].name: "example.com/gpu" is not a known isolator (known: ${ISOLATOR_NAMES.join(', ')})` },
  { rule: 'isolator name AC identifier', change: appIsolators(iso('Resource/CPU', {})), error: 'app.isolators[0].name: "Resource/CPU" is not an AC identifier (lowercase letters and digits, joined by - . _ ~ /)' },
  { rule: 'isolator value required', change: appIsolators({ name: 'os/linux/no-new-privileges' }), error: 'app.isolators[0].value: is required' },
]);

runCases(parsePodManifest, pod, [
  { rule: 'os/unix/sysctl in a pod', change: podIsolators(iso('os/unix/sysctl', { 'net.ipv4.tcp_fin_timeout': '6' })) },
  { rule: 'os/unix/sysctl values', change: podIsolators(iso('os/unix/sysctl', { 'net.ipv4.tcp_fin_timeout': 6 })), error: 'isolators[0].value["net.ipv4.tcp_fin_timeout"]: expected string, got number 6' },
  { rule: 'os/unix/sysctl once', change: podIsolators(iso('os/unix/sysctl', {}), iso('os/unix/sysctl', {})), error: 'isolators[1].name: os/unix/sysctl may be given only once per pod' },
  // Not in the spec's text: twice in a pod, as actool takes them (the last one counts).
  { rule: 'oom-score-adj twice in a pod', change: podIsolators(iso('os/linux/oom-score-adj', 1), iso('os/linux/oom-score-adj', 2)) },
  { rule: 'unknown isolator in a pod is kept', change: podIsolators(iso('example.com/gpu', { count: 1 })) },
  { rule: 'known isolator in a pod is checked', change: podIsolators(iso('resource/memory', { limit: 'much' })), error: 'isolators[0].value.limit: "much" is not a quantity (like 500m, 1G, 512Mi)' },
  { rule: 'app-only isolator in a pod', change: podIsolators(iso('os/linux/no-new-privileges', true), iso('os/linux/capabilities-retain-set', { set: ['CAP_KILL'] })) },
  { rule: 'app-only isolator in a pod is checked', change: podIsolators(iso('os/linux/seccomp-retain-set', { set: [] })), error: 'isolators[0].value.set: the set must not be empty' },
]);

test('quantities in base units', () => {
  assert.deepEqual(
    ['250m', '1', '1G', '512Mi', '2k', '2K', '1e3', '.5', '1.5Gi', '123Mi', '125952Ki'].map(quantityValue),
    [0.25, 1, 1e9, 536870912, 2000, 2000, 1000, 0.5, 1610612736, 128974848, 128974848],
  );
  assert.deepEqual(['', '-1', '1GB', 'm', '1 G'].map(quantityValue), [undefined, undefined, undefined, undefined, undefined]);
});

test('findIsolator returns the last isolator of a name, typed', () => {
  const m = parsePodManifest(JSON.stringify({ ...pod(), isolators: [iso('resource/memory', { limit: '1G' }), iso('example.com/x', 1), iso('resource/memory', { limit: '2G' })] }), 'p');
  assert.equal(findIsolator(m.isolators, 'resource/memory')?.value.limit, '2G');
  assert.equal(findIsolator(m.isolators, 'resource/cpu'), undefined);
});
