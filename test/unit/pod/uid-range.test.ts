import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { allocateUidRange, FIRST_BASE, hostIdSpans, LAST_BASE } from '../../../src/pod/uid-range.js';
import { appRootMount } from '../../../stage1-nspawn/user-namespace.js';
import { mountUnitName } from '../../../stage1-nspawn/unit-syntax.js';

const UUID = '0b3f4c2e-7d61-4b4a-9a0e-2f1c5d6e7f80';

test("uid ranges: a pod's range is 65536 ids in 0x70000000..0x7FFDFFFF, never one another pod's state holds nor one the host's users, groups, subuid or subgid use", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'uid-range-'));
  try {
    const first = await allocateUidRange(dir, UUID, []);
    assert.equal(first.size, 65536);
    assert.ok(first.base >= FIRST_BASE && first.base <= LAST_BASE && first.base % 65536 === 0);
    // The same UUID picks the same slot; once a pod (made or being made) holds it, the next one.
    const held = async (name: string, base: number) => {
      await mkdir(path.join(dir, 'pods', name), { recursive: true });
      await writeFile(path.join(dir, 'pods', name, 'state'), JSON.stringify({ state: 'prepared', created: new Date().toISOString(), uidRange: { base, size: 65536 } }));
    };
    await held('11111111-1111-4111-8111-111111111111', first.base);
    const second = await allocateUidRange(dir, UUID, []);
    assert.notEqual(second.base, first.base);
    await held(`.new-22222222-2222-4222-8222-222222222222`, second.base);
    // The host uses an id inside the next candidate.
    const third = await allocateUidRange(dir, UUID, [[second.base + 65536 + 7, second.base + 65536 + 7]]);
    assert.ok(![first.base, second.base, second.base + 65536].includes(third.base), String(third.base));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("uid ranges: the host's ids from passwd and group (third field) and subuid, subgid (start:count)", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'uid-host-'));
  try {
    const f = (n: string, t: string) => writeFile(path.join(dir, n), t).then(() => path.join(dir, n));
    const files = {
      passwd: await f('passwd', 'root:x:0:0::/:/bin/sh\nbig:x:1879048200:1:::\n'),
      group: await f('group', 'root:x:0:\n'),
      subuid: await f('subuid', 'alice:100000:65536\n'),
      subgid: path.join(dir, 'missing'),
    };
    assert.deepEqual(hostIdSpans(files), [[0, 0], [1879048200, 1879048200], [0, 0], [100000, 165535]]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an app's root in a user namespace: a mount unit of the pod's systemd, named as systemd escapes its path", () => {
  assert.equal(mountUnitName('/opt/stage2/my-app/rootfs'), 'opt-stage2-my\\x2dapp-rootfs.mount');
  assert.equal(mountUnitName('/run/systemd/journal'), 'run-systemd-journal.mount');
  const app = { name: 'web', readOnlyRootFS: false } as Parameters<typeof appRootMount>[0];
  const [name, text] = appRootMount(app);
  assert.equal(name, 'opt-stage2-web-rootfs.mount');
  assert.match(text, /^Options=lowerdir=\/sprocket\/trees\/web,upperdir=\/sprocket\/app-dirs\/web\/upper,workdir=\/sprocket\/app-dirs\/web\/work,userxattr$/m);
  // Read-only: the upper dir (its mount points) as the top lower layer, no upper.
  assert.match(appRootMount({ ...app, readOnlyRootFS: true })[1], /^Options=lowerdir=\/sprocket\/app-dirs\/web\/upper:\/sprocket\/trees\/web,userxattr$/m);
});
