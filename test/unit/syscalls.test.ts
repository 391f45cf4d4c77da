// The host's side of src/syscalls.ts that needs no privilege: the mount
// table and cgroups read from /proc, umount's failure reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { hostSyscalls } from '../../src/syscalls.js';

test('mountsBelow: the mount points at or below a directory, from /proc/self/mountinfo', async () => {
  const below = await hostSyscalls.mountsBelow('/proc');
  assert.equal(below[0], '/proc');
  assert.ok(below.every((m) => m === '/proc' || m.startsWith('/proc/')));
  assert.deepEqual(await hostSyscalls.mountsBelow('/proc/no-such-dir'), []);
});

test("cgroupProcesses: this process is in its own cgroup of the unified hierarchy", async () => {
  const own = (await fs.readFile('/proc/self/cgroup', 'utf8')).split('\n').find((l) => l.startsWith('0::'))!.slice(3);
  assert.ok((await hostSyscalls.cgroupProcesses(own)).includes(process.pid));
  assert.deepEqual(await hostSyscalls.cgroupProcesses('/no-such-cgroup'), []);
});

test('unmount: what umount said, as an error', async () => {
  await assert.rejects(hostSyscalls.unmount('/no-such-mount-point'), /cannot unmount: .*no-such-mount-point/);
});
