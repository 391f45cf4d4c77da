// --secret NAME=FILE: the command line, the reified manifest (names only),
// the plan (each app's files, by path) and the checks of the files made
// before anything of a pod is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseRunArgs } from '../../../src/cli/run-args.js';
import { SprocketError } from '../../../src/errors.js';
import { buildPlan, type PlanImages } from '../../../src/pod/plan.js';
import { reifyPod, type ImageSource } from '../../../src/pod/reify.js';
import type { PodRequest } from '../../../src/pod/request.js';
import { appSecrets, checkSecretFiles } from '../../../src/pod/secrets.js';
import { parsePodUnitFile } from '../../../src/systemd/pod-unit-file.js';
import type { ImageManifest } from '../../../src/spec/index.js';

const ID = `sha512-${'c'.repeat(128)}`;
const UUID = '5e1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

/** One image with a real tree (its exec, passwd and group), and secret files in a scratch directory. */
async function setUp(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'sprocket-secrets-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  const tree = path.join(root, 'tree');
  await fs.mkdir(path.join(tree, 'etc'), { recursive: true });
  await fs.mkdir(path.join(tree, 'bin'));
  await fs.writeFile(path.join(tree, 'bin/app'), '', { mode: 0o755 });
  await fs.writeFile(path.join(tree, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
  await fs.writeFile(path.join(tree, 'etc/group'), 'root:x:0:\n');
  const manifest: ImageManifest = { acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/app', app: { exec: ['/bin/app'], user: '0', group: '0' } };
  const images: ImageSource & PlanImages = { resolve: async () => ID, manifest: async () => structuredClone(manifest), treePath: () => tree };
  for (const f of ['a', 'b', 'c']) await fs.writeFile(path.join(root, f), `value-${f}`, { mode: 0o600 });
  return { root, images };
}

/** What prepare does: reify, then plan with each app's secrets. */
async function prepared(request: PodRequest, images: ImageSource & PlanImages) {
  const manifest = await reifyPod(request, images);
  const plan = await buildPlan({ uuid: UUID, podDir: `/var/lib/sprocket/pods/${UUID}`, manifest, source: 'command line', secrets: manifest.apps.map((_, i) => appSecrets(request, i)) }, images);
  return { manifest, plan };
}

const usageFails = (argv: string[], re: RegExp) =>
  assert.throws(() => parseRunArgs(argv), (e: unknown) => e instanceof SprocketError && e.kind === 'usage' && re.test(e.describe()));

test('--secret NAME=FILE before the first image is every app\'s, after an image that app\'s', () => {
  const r = parseRunArgs(['--secret', 'token=/k/pod', '--secret=ca.pem=/k/ca=1', 'img', '--secret', 'token=/k/app', '---', 'img2']);
  assert.deepEqual(r.secrets, [{ name: 'token', file: '/k/pod' }, { name: 'ca.pem', file: '/k/ca=1' }]);
  assert.deepEqual(r.apps[0]!.secrets, [{ name: 'token', file: '/k/app' }]);
  assert.equal(r.apps[1]!.secrets, undefined);
  // The app's own replaces the pod's of the same name; the others stay.
  assert.deepEqual(appSecrets(r, 0), [{ name: 'ca.pem', file: '/k/ca=1' }, { name: 'token', file: '/k/app' }]);
  assert.deepEqual(appSecrets(r, 1), r.secrets);
});

test('a bad --secret is a usage error naming the flag', () => {
  usageFails(['img', '--secret', 'token'], /^--secret: expected NAME=FILE, got "token"/);
  usageFails(['img', '--secret', 'token='], /^--secret: expected NAME=FILE/);
  usageFails(['img', '--secret', '=/k'], /^--secret: expected NAME=FILE/);
  usageFails(['img', '--secret', 'a/b=/k'], /^--secret: "a\/b" is not a secret name \(1 to 128 letters, digits, _ \. -/);
  usageFails(['--secret', '..=/k', 'img'], /^--secret: "\.\." is not a secret name/);
  usageFails(['img', '--secret', 'a:b=/k'], /^--secret: "a:b" is not a secret name/);
  usageFails(['img', '--secret', `${'x'.repeat(129)}=/k`], /is not a secret name/);
  usageFails(['img', '--secret', 'token=/a', '--secret', 'token=/b'], /^--secret: secret token is given twice/);
  usageFails(['--secret', 'token=/a', '--secret', 'token=/b', 'img'], /^--secret: secret token is given twice/);
});

test('Secret= of a pod unit file is the pod flag', () => {
  assert.deepEqual(parsePodUnitFile('[Pod]\nSecret=token=/etc/keys/web\nApp=img --secret db=/etc/keys/db', 'w.pod').runArgs, ['--secret=token=/etc/keys/web', 'img', '--secret', 'db=/etc/keys/db']);
});

test('the reified manifest names the secrets of each app, the plan has their files by absolute path; no value in either', async (t) => {
  const { root, images } = await setUp(t);
  const request = parseRunArgs(['--secret', `token=${root}/a`, '--secret', `ca=${root}/b`, 'img', '--name', 'web', '--secret', `token=${root}/c`, '---', 'img', '--name', 'plain']);
  const { manifest, plan } = await prepared(request, images);
  assert.deepEqual(manifest.apps.map((a) => a.annotations), [[{ name: 'sprocket.dev/secrets', value: 'ca,token' }], [{ name: 'sprocket.dev/secrets', value: 'token,ca' }]]);
  assert.deepEqual(plan.apps.map((a) => a.secrets), [
    [{ name: 'ca', source: `${root}/b` }, { name: 'token', source: `${root}/c` }],
    [{ name: 'token', source: `${root}/a` }, { name: 'ca', source: `${root}/b` }],
  ]);
  for (const v of ['value-a', 'value-b', 'value-c']) assert.ok(!JSON.stringify({ manifest, plan }).includes(v));
  // A relative FILE is taken from the current directory.
  const relative = await prepared(parseRunArgs(['img', '--secret', `token=${path.relative(process.cwd(), `${root}/a`)}`]), images);
  assert.deepEqual(relative.plan.apps[0]!.secrets, [{ name: 'token', source: `${root}/a` }]);
});

test('--secret with --pod-manifest is every app\'s; an annotation sprocket.dev/secrets given by the operator is refused', async (t) => {
  const { root, images } = await setUp(t);
  const file = path.join(root, 'pod.json');
  const pod = (annotations?: unknown) => fs.writeFile(file, JSON.stringify({
    acKind: 'PodManifest', acVersion: '0.8.11', apps: [{ name: 'one', image: { id: ID }, ...(annotations ? { annotations } : {}) }, { name: 'two', image: { id: ID } }],
  }));
  await pod();
  const { plan } = await prepared(parseRunArgs(['--secret', `token=${root}/a`, '--pod-manifest', file]), images);
  assert.deepEqual(plan.apps.map((a) => a.secrets), [[{ name: 'token', source: `${root}/a` }], [{ name: 'token', source: `${root}/a` }]]);
  await pod([{ name: 'sprocket.dev/secrets', value: 'token' }]);
  await assert.rejects(prepared(parseRunArgs(['--pod-manifest', file]), images), (e: unknown) => e instanceof SprocketError
    && /pod\.json: apps\[0\]\.annotations: annotation sprocket\.dev\/secrets is sprocket's record of the app's secrets\n {2}hint: give secrets with --secret NAME=FILE/.test(e.describe()));
  await assert.rejects(prepared(parseRunArgs(['img', '--annotation', 'sprocket.dev/secrets=token']), images), /annotation sprocket\.dev\/secrets is sprocket's record/);
});

test('a missing, non-regular or too large secret file is an error naming it and the secret, before anything is made', async (t) => {
  const { root, images } = await setUp(t);
  const fails = async (file: string, kind: string, re: RegExp) => {
    await assert.rejects(prepared(parseRunArgs(['img', '--name', 'web', '--secret', `token=${file}`]), images),
      (e: unknown) => e instanceof SprocketError && e.kind === kind && e.file === file && e.field === '--secret' && re.test(e.message));
  };
  await fails(`${root}/missing`, 'not-found', /^cannot read secret token of app web: no such file$/);
  await fails(root, 'invalid', /^secret token of app web is not a regular file$/);
  execFileSync('mkfifo', [`${root}/fifo`]);
  await fails(`${root}/fifo`, 'invalid', /is not a regular file/); // refused without waiting for a writer
  await fs.writeFile(`${root}/big`, Buffer.alloc(1024 * 1024 + 1));
  await fails(`${root}/big`, 'invalid', /^the secrets of app web come to 1048577 bytes with token: systemd gives a unit at most 1048576 \(1 MiB\)$/);
  // The same check when a pod starts: the file may have gone since.
  const { plan } = await prepared(parseRunArgs(['img', '--secret', `token=${root}/a`]), images);
  await fs.rm(`${root}/a`);
  assert.throws(() => checkSecretFiles(plan), /cannot read secret token of app app: no such file/);
});
