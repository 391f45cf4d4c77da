// An image gets no more privilege than the operator grants (issue 8): image
// isolators may only narrow the defaults; flags, the operator's pod manifest
// and --insecure-options widen them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseRunArgs } from '../../../src/cli/run-args.js';
import { reifyPod, type ImageSource } from '../../../src/pod/reify.js';
import { seccompDefault } from '../../../src/pod/image-privilege.js';
import { SprocketError } from '../../../src/errors.js';
import type { Isolator, ImageManifest } from '../../../src/spec/index.js';

const ID = `sha512-${'c'.repeat(128)}`;
const imageWith = (isolators: Isolator[]): ImageSource => ({
  resolve: async () => ID,
  manifest: async () => ({ acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/greedy', app: { exec: ['/bin/app'], user: '0', group: '0', isolators } }) as ImageManifest,
});
const SYS_ADMIN: Isolator = { name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] } };
const refused = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (e: unknown) => e instanceof SprocketError && e.exitCode === 254 && re.test(e.describe()));

test("an image's capabilities beyond appc's defaults are refused, naming the image, the isolator and the flags", async () => {
  await refused(reifyPod(parseRunArgs(['img']), imageWith([SYS_ADMIN])),
    /^image example\.com\/greedy: app\.isolators\[0\]: os\/linux\/capabilities-retain-set asks for CAP_SYS_ADMIN, beyond appc's default capabilities\n  hint: grant it with --caps-retain .*--insecure-options=capabilities$/);
});

test('the operator widens: --insecure-options=capabilities (or all), or the same isolator as a flag', async () => {
  for (const opt of ['capabilities', 'all', 'image,capabilities']) {
    const m = await reifyPod(parseRunArgs([`--insecure-options=${opt}`, 'img']), imageWith([SYS_ADMIN]));
    assert.deepEqual(m.apps[0]!.app!.isolators, [SYS_ADMIN]);
  }
  const m = await reifyPod(parseRunArgs(['img', '--caps-retain', 'CAP_SYS_ADMIN']), imageWith([SYS_ADMIN]));
  assert.deepEqual(m.apps[0]!.app!.isolators, [{ name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_SYS_ADMIN'] } }]);
  // A flag of the other kind replaces the image's set too.
  const r = await reifyPod(parseRunArgs(['img', '--caps-remove', 'CAP_KILL']), imageWith([SYS_ADMIN]));
  assert.deepEqual(r.apps[0]!.app!.isolators, [{ name: 'os/linux/capabilities-remove-set', value: { set: ['CAP_KILL'] } }]);
});

test('narrowing isolators of an image pass: a smaller retain set, a remove set, no-new-privileges, seccomp', async () => {
  const narrow: Isolator[] = [
    { name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'] } },
    { name: 'os/linux/no-new-privileges', value: true },
    { name: 'os/linux/seccomp-remove-set', value: { set: ['mount'] } },
  ];
  const m = await reifyPod(parseRunArgs(['img']), imageWith(narrow));
  assert.equal(m.apps[0]!.app!.isolators!.length, 3);
});

test("an image's own SELinux or AppArmor label is refused unless --insecure-options=labels", async () => {
  const label: Isolator = { name: 'os/linux/apparmor-profile', value: { profile: 'unconfined' } };
  await refused(reifyPod(parseRunArgs(['img']), imageWith([label])), /os\/linux\/apparmor-profile: an image may not choose its own security label\n  hint: .*--insecure-options=labels/);
  const m = await reifyPod(parseRunArgs(['--insecure-options=labels', 'img']), imageWith([label]));
  assert.deepEqual(m.apps[0]!.app!.isolators, [label]);
});

test("a pod manifest: the image's app is checked, the operator's own app object is the operator's word", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sprocket-privilege-'));
  const file = path.join(dir, 'pod.json');
  const pod = (app?: unknown) => fs.writeFile(file, JSON.stringify({ acKind: 'PodManifest', acVersion: '0.8.11', apps: [{ name: 'a', image: { id: ID }, ...(app ? { app } : {}) }] }));
  await pod();
  await refused(reifyPod(parseRunArgs(['--pod-manifest', file]), imageWith([SYS_ADMIN])), /asks for CAP_SYS_ADMIN/);
  await pod({ exec: ['/bin/app'], user: '0', group: '0', isolators: [SYS_ADMIN] });
  const m = await reifyPod(parseRunArgs(['--pod-manifest', file]), imageWith([SYS_ADMIN]));
  assert.deepEqual(m.apps[0]!.app!.isolators, [SYS_ADMIN]);
  await fs.rm(dir, { recursive: true });
});

test("seccomp: an image's own set narrows sprocket's default filter; the operator's set, or --insecure-options=seccomp, replaces it", async () => {
  const image: Isolator[] = [{ name: 'os/linux/seccomp-retain-set', value: { set: ['@system-service', 'mount'] } }];
  const applies = async (argv: string[]) => {
    const request = parseRunArgs(argv);
    const m = await reifyPod(request, imageWith(image));
    return seccompDefault(m.apps[0]!.app!.isolators ?? [], image, request.imageGrants?.seccomp ?? false);
  };
  assert.equal(await applies(['img']), true, "the image's set, kept");
  assert.equal(await applies(['img', '--seccomp', 'mode=retain,@system-service,mount,umount2']), false, "the operator's");
  assert.equal(await applies(['img', '--seccomp', 'mode=retain,@system-service,mount']), true, 'the same set as the image carries counts as the image\'s');
  assert.equal(await applies(['img', '--seccomp', 'mode=remove,mkdir']), false);
  assert.equal(await applies(['--insecure-options=seccomp', 'img']), false);
  assert.equal(await applies(['--insecure-options=all', 'img']), false);
  assert.equal(seccompDefault([], [], false), true, 'an app without a set gets the default');
});
