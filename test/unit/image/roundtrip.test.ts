// build -> validate -> import -> export gives the same image ID, for every
// compression, and the store's tree keeps what the layout held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildAci } from '../../../src/image/aci-builder.js';
import { ImageStore } from '../../../src/image/store.js';
import { validateImageFile } from '../../../src/image/validate.js';
import { manifestJson, tempDir } from './craft.js';

const sha512 = (b: Buffer) => `sha512-${createHash('sha512').update(b).digest('hex')}`;

/** A layout with every kind of file an ACI must carry faithfully. */
async function makeLayout(dir: string): Promise<string> {
  const layout = path.join(dir, 'layout');
  const rootfs = path.join(layout, 'rootfs');
  await fs.mkdir(path.join(rootfs, 'bin'), { recursive: true });
  await fs.writeFile(path.join(layout, 'manifest'), manifestJson('example.com/roundtrip', { labels: [{ name: 'version', value: '1.0' }] }));
  await fs.copyFile('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  await fs.chmod(path.join(rootfs, 'bin/busybox'), 0o4755);
  await fs.link(path.join(rootfs, 'bin/busybox'), path.join(rootfs, 'bin/ls'));
  await fs.symlink('busybox', path.join(rootfs, 'bin/sh'));
  await fs.writeFile(path.join(rootfs, 'owned'), 'data');
  await fs.chown(path.join(rootfs, 'owned'), 1234, 5678);
  await fs.utimes(path.join(rootfs, 'owned'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
  execFileSync('setfattr', ['-n', 'user.colour', '-v', 'blue', path.join(rootfs, 'owned')]);
  // What an image may not put on the host: attributes outside user.* and device nodes (a hard link to one too).
  execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path.join(rootfs, 'bin')]);
  execFileSync('setfattr', ['-n', 'security.evil', '-v', 'x', path.join(rootfs, 'owned')]);
  execFileSync('mknod', [path.join(rootfs, 'null'), 'c', '1', '3']);
  await fs.link(path.join(rootfs, 'null'), path.join(rootfs, 'null2'));
  execFileSync('mknod', [path.join(rootfs, 'disk'), 'b', '7', '0']);
  execFileSync('mknod', [path.join(rootfs, 'pipe'), 'p']);
  await fs.mkdir(path.join(rootfs, 'sticky'), { mode: 0o1777 });
  await fs.chmod(path.join(rootfs, 'sticky'), 0o1777);
  // overlayfs's own attributes of a pod in a user namespace: the image must not steer its overlays.
  execFileSync('setfattr', ['-n', 'user.overlay.redirect', '-v', '/bin', path.join(rootfs, 'sticky')]);
  return layout;
}

test('build, validate, import and export agree on the image ID in every compression', async () => {
  const dir = await tempDir();
  const layout = await makeLayout(dir);
  const gz = path.join(dir, 'image.aci');
  await buildAci(layout, gz);
  const tarBytes = gunzipSync(await fs.readFile(gz));
  const id = sha512(tarBytes);
  const plain = path.join(dir, 'plain.aci');
  await fs.writeFile(plain, tarBytes);
  execFileSync('sh', ['-c', `bzip2 -c ${plain} > ${dir}/bz.aci && xz -c ${plain} > ${dir}/xz.aci`]);

  const store = await ImageStore.open(path.join(dir, 'store'));
  for (const f of [gz, plain, `${dir}/bz.aci`, `${dir}/xz.aci`]) {
    const v = await validateImageFile(f);
    assert.equal(v.kind === 'aci' && v.id, id, f);
    assert.equal((await store.import(f)).id, id, f);
  }
  assert.equal((await store.list()).images.length, 1, 'importing the same image again is idempotent');
  const out = path.join(dir, 'exported.aci');
  await store.exportTo(id, out);
  assert.ok((await fs.readFile(out)).equals(await fs.readFile(gz)), 'export gives back the bytes that were imported');
  assert.equal((await store.import(out)).id, id);
  await fs.rm(dir, { recursive: true });
});

test('the tree keeps modes (setuid too), owners, times, user.* xattrs, hard links, fifos and symlinks; device nodes and other xattrs are left out, each named in a warning', async () => {
  const dir = await tempDir();
  const aci = path.join(dir, 'image.aci');
  await buildAci(await makeLayout(dir), aci, { compress: false });
  const warnings: string[] = [];
  const store = await ImageStore.open(path.join(dir, 'store'), { warn: (m) => warnings.push(m) });
  const { id } = await store.import(aci);
  const root = store.treePath(id);
  assert.deepEqual(warnings.sort(), [
    `${aci}: rootfs/bin: extended attribute trusted.overlay.opaque left out: only user.* attributes but user.overlay.* are kept (an app asks for a capability with an isolator)`,
    `${aci}: rootfs/disk: block device not created: a pod gets /dev from stage1`,
    `${aci}: rootfs/null2: hard link to the device node rootfs/null not created: a pod gets /dev from stage1`,
    `${aci}: rootfs/null: character device not created: a pod gets /dev from stage1`,
    `${aci}: rootfs/owned: extended attribute security.evil left out: only user.* attributes but user.overlay.* are kept (an app asks for a capability with an isolator)`,
    `${aci}: rootfs/sticky: extended attribute user.overlay.redirect left out: only user.* attributes but user.overlay.* are kept (an app asks for a capability with an isolator)`,
  ]);
  for (const gone of ['null', 'null2', 'disk']) await assert.rejects(fs.lstat(path.join(root, gone)), { code: 'ENOENT' });
  const attrs = (p: string) => execFileSync('getfattr', ['-d', '-m', '-', '--absolute-names', path.join(root, p)]).toString();
  assert.doesNotMatch(attrs('bin'), /trusted/);
  assert.doesNotMatch(attrs('owned'), /security/);
  assert.doesNotMatch(attrs('sticky'), /overlay/);
  const bb = await fs.lstat(path.join(root, 'bin/busybox'));
  assert.equal(bb.mode & 0o7777, 0o4755);
  assert.equal(bb.nlink, 2);
  assert.equal((await fs.lstat(path.join(root, 'bin/ls'))).ino, bb.ino);
  assert.equal(await fs.readlink(path.join(root, 'bin/sh')), 'busybox');
  const owned = await fs.lstat(path.join(root, 'owned'));
  assert.deepEqual([owned.uid, owned.gid, owned.mtime.toISOString()], [1234, 5678, '2001-02-03T04:05:06.000Z']);
  assert.match(execFileSync('getfattr', ['-n', 'user.colour', '--only-values', path.join(root, 'owned')]).toString(), /^blue$/);
  assert.ok((await fs.lstat(path.join(root, 'pipe'))).isFIFO());
  assert.equal((await fs.lstat(path.join(root, 'sticky'))).mode & 0o7777, 0o1777);

  const extracted = path.join(dir, 'extracted');
  await store.extract(id, extracted);
  assert.deepEqual((await fs.readdir(extracted)).sort(), ['manifest', 'rootfs']);
  await assert.rejects(fs.lstat(path.join(extracted, 'rootfs/null')), { code: 'ENOENT' }, 'extract leaves device nodes out too');
  assert.match(warnings.at(-1)!, new RegExp(`^${id}: rootfs/`));
  assert.equal((await fs.lstat(path.join(extracted, 'rootfs/bin/busybox'))).mode & 0o7777, 0o4755);
  await store.extract(id, path.join(dir, 'only'), { rootfsOnly: true });
  assert.ok((await fs.lstat(path.join(dir, 'only/bin/sh'))).isSymbolicLink());
  await fs.rm(dir, { recursive: true });
});

test('--owner-root records every file as owned by root', async () => {
  const dir = await tempDir();
  const aci = path.join(dir, 'image.aci');
  await buildAci(await makeLayout(dir), aci, { ownerRoot: true });
  const store = await ImageStore.open(path.join(dir, 'store'));
  const { id } = await store.import(aci);
  const owned = await fs.lstat(path.join(store.treePath(id), 'owned'));
  assert.deepEqual([owned.uid, owned.gid], [0, 0]);
  await fs.rm(dir, { recursive: true });
});
