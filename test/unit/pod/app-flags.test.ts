// App flags for isolators, groups and annotations, and the pod's environment
// flags: the command line, then the reified pod manifest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseRunArgs } from '../../../src/cli/run-args.js';
import { reifyPod, type ImageSource } from '../../../src/pod/reify.js';
import { SprocketError } from '../../../src/errors.js';
import type { ImageManifest } from '../../../src/spec/index.js';

const ID = `sha512-${'e'.repeat(128)}`;
const IMAGE: ImageManifest = {
  acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/web',
  app: {
    exec: ['/bin/httpd'], user: '0', group: '0',
    environment: [{ name: 'FROM', value: 'image' }, { name: 'HOME', value: '/srv' }],
    isolators: [
      { name: 'resource/memory', value: { request: '1Mi', limit: '8Mi' } },
      { name: 'os/linux/capabilities-remove-set', value: { set: ['CAP_KILL'] } },
      { name: 'os/linux/no-new-privileges', value: true },
    ],
    userLabels: { tier: 'front' },
  },
};
const images: ImageSource = { resolve: async () => ID, manifest: async () => structuredClone(IMAGE) };

test('isolator flags become appc isolators of the app, validated, the last of a kind counting', () => {
  const r = parseRunArgs([
    'img', '--memory=64Mi', '--memory', '128M', '--cpu', '500m', '--cpu-shares', '512', '--caps-retain', 'CAP_CHOWN,CAP_NET_BIND_SERVICE',
    '--seccomp', 'mode=remove,errno=ENOSYS,mkdir,mkdirat', '--oom-score-adj', '-500', '---',
    'img', '--caps-remove=CAP_MKNOD', '--seccomp=mode=retain,read,write', '--oom-score-adjust=7',
  ]);
  assert.deepEqual(r.apps[0]!.isolators, [
    { name: 'resource/memory', value: { limit: '128M' } },
    { name: 'resource/cpu', value: { limit: '500m' } },
    { name: 'os/linux/cpu-shares', value: 512 },
    { name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'] } },
    { name: 'os/linux/seccomp-remove-set', value: { set: ['mkdir', 'mkdirat'], errno: 'ENOSYS' } },
    { name: 'os/linux/oom-score-adj', value: -500 },
  ]);
  assert.deepEqual(r.apps[1]!.isolators, [
    { name: 'os/linux/capabilities-remove-set', value: { set: ['CAP_MKNOD'] } },
    { name: 'os/linux/seccomp-retain-set', value: { set: ['read', 'write'] } },
    { name: 'os/linux/oom-score-adj', value: 7 },
  ]);
});

test('groups, annotations, user annotations and labels; pod environment flags', () => {
  const r = parseRunArgs([
    '--set-env-file', '/e', '--inherit-env', '--mds-register=false',
    'img', '--supplementary-gids=1024,2048', '--annotation', 'example.com/a=1', '--annotation', 'example.com/a=2',
    '--user-annotation', 'k=v=w', '--user-label', 'l=x',
  ], { HOME_X: '/h', 'BAD-NAME': 'x', EMPTY: '' });
  assert.equal(r.setEnvFile, '/e');
  assert.equal(r.mdsRegister, false);
  assert.deepEqual(r.inheritedEnv, [{ name: 'HOME_X', value: '/h' }, { name: 'EMPTY', value: '' }]);
  const app = r.apps[0]!;
  assert.deepEqual(app.supplementaryGids, [1024, 2048]);
  assert.deepEqual(app.annotations, [{ name: 'example.com/a', value: '2' }]);
  assert.deepEqual(app.userAnnotations, { k: 'v=w' });
  assert.deepEqual(app.userLabels, { l: 'x' });
  assert.equal(parseRunArgs(['img'], { A: 'b' }).inheritedEnv, undefined, 'nothing is inherited without --inherit-env');
  assert.equal(parseRunArgs(['--inherit-env=false', 'img'], { A: 'b' }).inheritedEnv, undefined);
});

test('--seccomp takes systemd\'s syscall groups (sprocket\'s extension of the seccomp sets)', () => {
  const [app] = parseRunArgs(['img', '--seccomp', 'mode=retain,@system-service,@mount']).apps;
  assert.deepEqual(app!.isolators, [{ name: 'os/linux/seccomp-retain-set', value: { set: ['@system-service', '@mount'] } }]);
});

const fails = (argv: string[], re: RegExp) =>
  assert.throws(() => parseRunArgs(argv), (e: unknown) => e instanceof SprocketError && e.kind === 'usage' && re.test(e.describe()));

test('bad flag values are usage errors naming the flag and quoting the value', () => {
  fails(['img', '--memory', 'lots'], /--memory: value\.limit: "lots" is not/);
  fails(['img', '--cpu-shares', '1'], /--cpu-shares: value: 1 is not an integer from 2 to 262144/);
  fails(['img', '--cpu-shares', 'many'], /--cpu-shares: value: /);
  fails(['img', '--caps-retain', 'CAP_CHOWN,NET_ADMIN'], /--caps-retain: value\.set\[1\]: "NET_ADMIN" is not a Linux capability/);
  fails(['img', '--caps-remove', ''], /--caps-remove: value\.set: the set must not be empty/);
  fails(['img', '--seccomp', 'mkdir'], /--seccomp: expected mode=retain or mode=remove/);
  fails(['img', '--seccomp', 'mode=remove,errno=eperm,mkdir'], /--seccomp: value\.errno: "eperm" is not an errno name/);
  fails(['img', '--seccomp', 'mode=remove,@appc.io/all'], /--seccomp: value\.set\[0\]: "@appc.io\/all" is not a wildcard of this set/);
  fails(['img', '--seccomp', 'mode=retain,@system-services'], /--seccomp: value\.set\[0\]: "@system-services" is not a systemd syscall group/);
  fails(['img', '--oom-score-adj', '1001'], /--oom-score-adj: value: 1001 is not an integer from -1000 to 1000/);
  fails(['img', '--supplementary-gids', '1,x'], /--supplementary-gids: expected group IDs/);
  fails(['img', '--annotation', 'Not An Identifier=1'], /--annotation: name: /);
  fails(['img', '--user-label', 'novalue'], /--user-label: expected NAME=VALUE/);
  fails(['--mds-register=maybe', 'img'], /--mds-register: expected true or false/);
  fails(['--memory=1M', 'img'], /unknown pod flag \(before the first image\): --memory/);
});

test('reification: flags replace the image isolators of their kind (and the exclusive partner), keep the rest', async () => {
  const pod = await reifyPod(parseRunArgs(['img', '--memory', '64Mi', '--caps-retain', 'CAP_CHOWN', '--supplementary-gids', '5',
    '--annotation', 'example.com/a=1', '--user-label', 'env=prod', '--user-annotation', 'k=v']), images);
  const app = pod.apps[0]!;
  assert.deepEqual(app.app!.isolators, [
    { name: 'os/linux/no-new-privileges', value: true },
    { name: 'resource/memory', value: { limit: '64Mi' } },
    { name: 'os/linux/capabilities-retain-set', value: { set: ['CAP_CHOWN'] } },
  ]);
  assert.deepEqual(app.app!.supplementaryGIDs, [5]);
  assert.deepEqual(app.annotations, [{ name: 'example.com/a', value: '1' }]);
  assert.deepEqual(app.app!.userLabels, { tier: 'front', env: 'prod' });
  assert.deepEqual(app.app!.userAnnotations, { k: 'v' });
  // Without flags the image's isolators stay as they are.
  assert.deepEqual((await reifyPod(parseRunArgs(['img']), images)).apps[0]!.app!.isolators, IMAGE.app!.isolators);
});

test('environment precedence: inherited < image < --set-env-file < --set-env < --environment', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sprocket-envfile-'));
  const file = path.join(dir, 'env');
  await fs.writeFile(file, '# comment\n; also a comment\n\nFILE=file\nSET=file\nAPP=file\nSPACES= a b \n');
  const argv = ['--inherit-env', '--set-env-file', file, '--set-env', 'SET=set', '--set-env', 'APP=set', 'img', '--environment', 'APP=app'];
  const pod = await reifyPod(parseRunArgs(argv, { FROM: 'cli', HOME: '/root', ONLY: 'cli', FILE: 'cli' }), images);
  assert.deepEqual(pod.apps[0]!.app!.environment, [
    { name: 'FROM', value: 'image' }, { name: 'HOME', value: '/srv' }, { name: 'ONLY', value: 'cli' }, { name: 'FILE', value: 'file' },
    { name: 'SET', value: 'set' }, { name: 'APP', value: 'app' }, { name: 'SPACES', value: ' a b ' },
  ]);

  await fs.writeFile(file, 'GOOD=1\nno equals sign\n');
  await assert.rejects(reifyPod(parseRunArgs(['--set-env-file', file, 'img']), images),
    (e: unknown) => e instanceof SprocketError && e.file === file && e.field === 'line 2' && /expected NAME=VALUE/.test(e.message));
  await fs.writeFile(file, 'BAD-NAME=1\n');
  await assert.rejects(reifyPod(parseRunArgs(['--set-env-file', file, 'img']), images), /"BAD-NAME" is not a variable name/);
  await assert.rejects(reifyPod(parseRunArgs(['--set-env-file', path.join(dir, 'missing'), 'img']), images),
    (e: unknown) => e instanceof SprocketError && e.kind === 'not-found');
});
