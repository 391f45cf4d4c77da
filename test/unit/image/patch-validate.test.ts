// patch-manifest edits and validate's detection by content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { readAci } from '../../../src/image/aci-reader.js';
import { patchAci, patchManifest } from '../../../src/image/manifest-patch.js';
import { validateImageFile } from '../../../src/image/validate.js';
import { parseImageManifest } from '../../../src/spec/index.js';
import { craftAci, manifestJson, tempDir } from './craft.js';

const base = () => parseImageManifest(manifestJson('example.com/app', { app: { exec: ['/bin/true'], user: '0', group: '0' } }), 'm');

test('patchManifest applies the actool edits', () => {
  const m = patchManifest(base(), {
    name: 'example.com/patched',
    exec: '/bin/sh -c true',
    user: '100',
    group: '200',
    supplementaryGroups: '1,2',
    capability: 'CAP_NET_ADMIN,CAP_CHOWN',
    mounts: 'data,path=/data,readOnly=true:logs,path=/var/log',
    ports: 'http,protocol=tcp,port=80:dns,protocol=udp,port=53,count=2',
    isolators: 'resource/memory,limit=1G',
    seccompMode: 'remove,errno=EPERM',
    seccompSet: 'reboot,kexec_load',
  }, 'x.aci');
  const app = m.app as Record<string, unknown>;
  assert.equal(m.name, 'example.com/patched');
  assert.deepEqual(app.exec, ['/bin/sh', '-c', 'true']);
  assert.deepEqual([app.user, app.group, app.supplementaryGIDs], ['100', '200', [1, 2]]);
  assert.deepEqual(app.mountPoints, [{ name: 'data', path: '/data', readOnly: true }, { name: 'logs', path: '/var/log' }]);
  assert.deepEqual((app.ports as { name: string; port: number }[]).map((p) => [p.name, p.port]), [['http', 80], ['dns', 53]]);
  const isolators = app.isolators as { name: string; value: Record<string, unknown> }[];
  assert.deepEqual(isolators.map((i) => i.name), ['os/linux/capabilities-retain-set', 'resource/memory', 'os/linux/seccomp-remove-set']);
  assert.deepEqual(isolators[2]!.value, { set: ['reboot', 'kexec_load'], errno: 'EPERM' });
});

test('patchManifest refuses edits it cannot make', () => {
  const noApp = parseImageManifest(manifestJson(), 'm');
  assert.throws(() => patchManifest(noApp, { user: '1' }, 'x'), /no app; give --exec/);
  assert.throws(() => patchManifest(base(), { isolators: 'os/linux/no-new-privileges,value=true' }, 'x'), /only resource\/\* isolators/);
  assert.throws(() => patchManifest(base(), { seccompMode: 'drop', seccompSet: 'reboot' }, 'x'), /neither retain nor remove/);
  assert.throws(() => patchManifest(base(), { supplementaryGroups: 'wheel' }, 'x'), /not a numeric GID/);
  const revoked = patchManifest(base(), { revokeCapability: 'CAP_SYS_ADMIN' }, 'x').app as { isolators: { name: string }[] };
  assert.deepEqual(revoked.isolators.map((i) => i.name), ['os/linux/capabilities-remove-set']);
  // the result is checked against the schema
  assert.throws(() => patchManifest(base(), { capability: 'CAP_CHOWN', revokeCapability: 'CAP_SYS_ADMIN' }, 'x'), /cannot be combined/);
});

test('patchAci copies the rootfs and replaces the manifest', async () => {
  const dir = await tempDir();
  const input = path.join(dir, 'in.aci');
  await fs.writeFile(input, await craftAci([{ name: 'rootfs/bin', type: 'directory', mode: 0o755 }, { name: 'rootfs/bin/tool', body: 'tool', mode: 0o4755 }, { name: 'rootfs/bin/t2', type: 'link', linkname: 'rootfs/bin/tool' }], manifestJson('example.com/app', { app: { exec: ['/bin/tool'], user: '0', group: '0' } })));
  const out = path.join(dir, 'out.aci');
  await patchAci(input, out, { patch: { name: 'example.com/renamed' } }, {});
  const entries: string[] = [];
  const r = await readAci(out, async (e, body) => {
    entries.push(`${e.rel}:${e.kind}:${(e.header.mode ?? 0).toString(8)}`);
    for await (const _ of body);
  });
  assert.equal(r.manifest.name, 'example.com/renamed');
  assert.deepEqual(entries, [':directory:755', 'bin:directory:755', 'bin/tool:file:4755', 'bin/t2:link:644']);
  await assert.rejects(patchAci(input, out, { patch: { name: 'example.com/again' } }, {}), /file exists/);
  await fs.rm(dir, { recursive: true });
});

test('validate tells layouts, ACIs and manifests apart by content, not by name', async () => {
  const dir = await tempDir();
  await fs.writeFile(path.join(dir, 'looks-like.json'), await craftAci([]));
  await fs.writeFile(path.join(dir, 'looks-like.aci'), manifestJson());
  await fs.mkdir(path.join(dir, 'layout/rootfs'), { recursive: true });
  await fs.writeFile(path.join(dir, 'layout/manifest'), manifestJson());
  await fs.writeFile(path.join(dir, 'junk.aci'), 'junk');
  assert.equal((await validateImageFile(path.join(dir, 'looks-like.json'))).kind, 'aci');
  assert.equal((await validateImageFile(path.join(dir, 'looks-like.aci'))).kind, 'manifest');
  assert.equal((await validateImageFile(path.join(dir, 'layout'))).kind, 'layout');
  await assert.rejects(validateImageFile(path.join(dir, 'junk.aci')), /neither an ACI/);
  await fs.rm(path.join(dir, 'layout/rootfs'), { recursive: true });
  await assert.rejects(validateImageFile(path.join(dir, 'layout')), /no rootfs directory/);
  await fs.rm(dir, { recursive: true });
});
