// The store: names and prefixes, dependencies and pathWhitelist, rm and gc,
// and several sprocket processes importing at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ImageStore } from '../../../src/image/store.js';
import { storeImages } from '../../../src/pod/images.js';
import { verifyImage } from '../../../src/image/verify.js';
import { SprocketError } from '../../../src/errors.js';
import { runSprocket } from '../../support/cli.js';
import { craftAci, manifestJson, tempDir, treeOf } from './craft.js';

async function setup() {
  const dir = await tempDir();
  const store = await ImageStore.open(path.join(dir, 'store'));
  const write = async (name: string, aci: Buffer) => {
    const file = path.join(dir, name);
    await fs.writeFile(file, aci);
    return file;
  };
  return { dir, store, write };
}

const kindOf = (kind: string) => (e: unknown) => e instanceof SprocketError && e.kind === kind;

test('images resolve by full ID, unique prefix and name[:version][,label=value]', async () => {
  const { dir, store, write } = await setup();
  const v1 = await store.import(await write('a.aci', await craftAci([], manifestJson('example.com/app', { labels: [{ name: 'version', value: '1' }] }))));
  const v2 = await store.import(await write('b.aci', await craftAci([], manifestJson('example.com/app', { labels: [{ name: 'version', value: '2' }, { name: 'os', value: 'linux' }] }))));
  assert.equal(await store.resolve(v1.id), v1.id);
  assert.equal(await store.resolve(v2.id.slice(0, 20)), v2.id);
  assert.equal(await store.resolve('example.com/app:1'), v1.id);
  assert.equal(await store.resolve('example.com/app,os=linux'), v2.id);
  await assert.rejects(store.resolve('example.com/app'), (e) => kindOf('conflict')(e) && /ambiguous/.test((e as Error).message));
  await assert.rejects(store.resolve('example.com/other'), kindOf('not-found'));
  await fs.rm(dir, { recursive: true });
});

test('import refuses an image whose name or labels differ from what was asked for, leaving nothing', async () => {
  const { dir, store, write } = await setup();
  const file = await write('a.aci', await craftAci([], manifestJson('example.com/app', { labels: [{ name: 'version', value: '1' }] })));
  await assert.rejects(store.import(file, { expect: { name: 'example.com/other' } }), /named example.com\/app, expected example.com\/other/);
  await assert.rejects(store.import(file, { expect: { name: 'example.com/app', labels: { version: '2' } } }), /label version is not "2"/);
  assert.deepEqual(await treeOf(store.images), ['blobs', 'tmp']);
  assert.ok((await store.import(file, { expect: { name: 'example.com/app', labels: { version: '1' } } })).id);
  await fs.rm(dir, { recursive: true });
});

test('dependencies are rendered depth first, later layers replace earlier ones, a symlink is replaced and not followed', async () => {
  const { dir, store, write } = await setup();
  const base = await store.import(await write('base.aci', await craftAci([
    { name: 'rootfs/etc', type: 'directory', mode: 0o755 },
    { name: 'rootfs/etc/os', body: 'base' },
    { name: 'rootfs/lib', type: 'symlink', linkname: '/etc' },
    { name: 'rootfs/keep', body: 'kept' },
  ], manifestJson('example.com/base'))));
  const mid = await store.import(await write('mid.aci', await craftAci([{ name: 'rootfs/etc/os', body: 'mid' }, { name: 'rootfs/mid', body: 'm' }], manifestJson('example.com/mid', { dependencies: [{ imageName: 'example.com/base' }] }))));
  const top = await store.import(await write('top.aci', await craftAci([
    { name: 'rootfs/lib', type: 'directory', mode: 0o755 },
    { name: 'rootfs/lib/libc', body: 'libc' },
    { name: 'rootfs/top', body: 't' },
  ], manifestJson('example.com/top', { dependencies: [{ imageName: 'example.com/mid' }], pathWhitelist: ['/etc/os', '/lib/libc', '/top', '/mid'] }))));
  const root = store.treePath(top.id);
  assert.equal(await fs.readFile(path.join(root, 'etc/os'), 'utf8'), 'mid');
  assert.ok((await fs.lstat(path.join(root, 'lib'))).isDirectory(), 'the symlink was replaced by a directory');
  assert.deepEqual(await fs.readdir(path.join(store.treePath(base.id), 'etc')), ['os'], 'nothing was written through the symlink');
  assert.deepEqual(await treeOf(root), ['etc', 'etc/os', 'lib', 'lib/libc', 'mid', 'top'], 'pathWhitelist removed keep');
  assert.deepEqual(await treeOf(store.treePath(mid.id)), ['etc', 'etc/os', 'keep', 'lib', 'mid']);

  const rendered = path.join(dir, 'rendered');
  await store.renderTo(top.id, rendered);
  assert.deepEqual(await treeOf(rendered), await treeOf(root));
  const own = path.join(dir, 'own');
  await store.extract(top.id, own, { rootfsOnly: true });
  assert.deepEqual(await treeOf(own), ['lib', 'lib/libc', 'top'], 'extract gives the image without its dependencies');
  await fs.rm(dir, { recursive: true });
});

test('an import links the files of a dependency without dependencies of its own to its tree; verify still renders from the blobs; a tree file changed by hand is named, not linked', async () => {
  const { dir, store, write } = await setup();
  const big = Buffer.alloc(200 * 1024, 'b'); // a hole of the layer's blob: the tree holds its bytes
  const base = await store.import(await write('base.aci', await craftAci([
    { name: 'rootfs/big', body: big, mode: 0o750, uid: 7, gid: 8 },
    { name: 'rootfs/small', body: 'small' },
    { name: 'rootfs/hard', type: 'link', linkname: 'rootfs/small' },
  ], manifestJson('example.com/base'))));
  const top = await store.import(await write('top.aci', await craftAci([{ name: 'rootfs/own', body: 'own' }], manifestJson('example.com/top', { dependencies: [{ imageName: 'example.com/base' }] }))));
  const [layer, app] = [store.treePath(base.id), store.treePath(top.id)];
  for (const name of ['big', 'small', 'hard']) {
    const [a, b] = await Promise.all([fs.lstat(path.join(layer, name)), fs.lstat(path.join(app, name))]);
    assert.equal(b.ino, a.ino, `${name} is the layer's file`);
  }
  assert.equal((await fs.lstat(path.join(app, 'big'))).mode & 0o7777, 0o750);
  assert.deepEqual(await fs.readFile(path.join(app, 'big')), big);
  assert.deepEqual(await verifyImage(store, top.id), []);

  // Changed in place (so in both trees): verify, which renders from the blobs, names both images.
  await fs.writeFile(path.join(layer, 'small'), 'SMALL');
  assert.match((await verifyImage(store, base.id)).join('\n'), /\/small: file .* expected/);
  assert.match((await verifyImage(store, top.id)).join('\n'), /\/small: file .* expected/);
  // Replaced by another size: an import over it refuses, naming the file, and leaves nothing.
  await fs.rm(path.join(layer, 'big'));
  await fs.writeFile(path.join(layer, 'big'), 'short');
  const again = await write('again.aci', await craftAci([{ name: 'rootfs/again', body: 'x' }], manifestJson('example.com/again', { dependencies: [{ imageName: 'example.com/base' }] })));
  await assert.rejects(store.import(again), (e) => kindOf('invalid')(e) && (e as SprocketError).file === path.join(layer, 'big') && /no longer holds the file its blob says \(204800 bytes expected, 5 found\)/.test((e as Error).message));
  assert.deepEqual(await fs.readdir(path.join(store.images, 'tmp')), []);
  assert.equal((await store.list()).images.length, 2);
  await fs.rm(dir, { recursive: true });
});

test('an import whose dependency is missing fails naming the dependency and leaves nothing', async () => {
  const { dir, store, write } = await setup();
  const file = await write('top.aci', await craftAci([], manifestJson('example.com/top', { dependencies: [{ imageName: 'example.com/absent', labels: [{ name: 'version', value: '3' }] }] })));
  await assert.rejects(store.import(file), (e) => kindOf('not-found')(e) && /dependency example.com\/absent,version=3 is not in the store/.test((e as Error).message) && (e as SprocketError).field === 'dependencies[0]');
  assert.deepEqual(await treeOf(store.images), ['blobs', 'tmp']);
  await fs.rm(dir, { recursive: true });
});

test('rm refuses an image held by a pod; gc honours the grace period and references', async () => {
  const { dir, store, write } = await setup();
  const a = await store.import(await write('a.aci', await craftAci([], manifestJson('example.com/a'))));
  const b = await store.import(await write('b.aci', await craftAci([], manifestJson('example.com/b'))));
  await fs.writeFile(path.join(store.refsPath(a.id), '0123456789abcdef0123456789abcdef'), '');
  await assert.rejects(store.remove('example.com/a'), (e) => kindOf('conflict')(e) && /used by pod/.test((e as Error).message));
  assert.deepEqual((await store.gc(3_600_000)).removed, [], 'within the grace period');
  await fs.mkdir(path.join(store.images, 'tmp', '999999999-leftover'));
  assert.deepEqual((await store.gc(0)).removed, [b.id], 'a is held by a pod');
  assert.deepEqual(await fs.readdir(path.join(store.images, 'blobs')), [a.id]);
  assert.deepEqual(await fs.readdir(path.join(store.images, 'tmp')), [], 'leftovers of dead processes are gone');
  await fs.rm(store.refsPath(a.id), { recursive: true });
  await fs.mkdir(store.refsPath(a.id));
  assert.equal(await store.remove(a.id.slice(0, 12)), a.id);
  assert.deepEqual(await treeOf(store.images), ['blobs', 'lock', 'tmp']);
  await fs.rm(dir, { recursive: true });
});

test('removal fails closed: a refs/ that cannot be read (or is gone) keeps the image; rm and gc name it and exit 254, and gc still collects the others', async () => {
  const { dir, store, write } = await setup();
  const a = await store.import(await write('a.aci', await craftAci([], manifestJson('example.com/a'))));
  const b = await store.import(await write('b.aci', await craftAci([], manifestJson('example.com/b'))));
  // Root reads any directory whatever its mode: a file in refs/'s place cannot be read as one.
  await fs.rm(store.refsPath(a.id), { recursive: true });
  await fs.writeFile(store.refsPath(a.id), '');
  await assert.rejects(store.remove(a.id), (e) => kindOf('io')(e) && /cannot tell which pods use image .*, so it is kept/.test((e as Error).message) && (e as SprocketError).file === store.refsPath(a.id));
  const rm = await runSprocket(['--dir', path.join(dir, 'store'), 'image', 'rm', a.id, 'example.com/none']);
  assert.equal(rm.code, 254, rm.stderr);
  assert.match(rm.stderr, /images not removed \(2\):\n {2}sha512-\S+: \S+\/refs: cannot tell which pods use image/);
  assert.match(rm.stderr, /example\.com\/none: .*no image example\.com\/none/);
  const gc = await runSprocket(['--dir', path.join(dir, 'store'), 'image', 'gc', '--grace-period', '0']);
  assert.equal(gc.code, 254, gc.stderr);
  assert.equal(gc.stdout, `removed ${b.id}\n`, 'the other image is still collected');
  assert.match(gc.stderr, new RegExp(`images that gc could not handle \\(kept\\) \\(1\\):\\n {2}${a.id}: .*refs: cannot tell which pods use image`));
  await fs.rm(store.refsPath(a.id));
  const { removed, failed } = await store.gc(0);
  assert.deepEqual([removed, failed.map((f) => f.name)], [[], [a.id]], 'a missing refs/ is no "no pod uses it" either');
  assert.ok(await store.has(a.id));
  await fs.rm(dir, { recursive: true });
});

test("the state directory's images/ and pods/ are made 0700, and narrowed to 0700 with a warning naming the directory and its old mode", async () => {
  const dir = await tempDir();
  const state = path.join(dir, 'state');
  const mode = async (p: string) => (await fs.stat(p)).mode & 0o7777;
  const warnings: string[] = [];
  await ImageStore.open(state, { warn: (m) => warnings.push(m) });
  assert.deepEqual([await mode(state), await mode(path.join(state, 'images')), await mode(path.join(state, 'pods'))], [0o700, 0o700, 0o700]);
  assert.equal(warnings.length, 0, warnings.join('\n'));
  await fs.chmod(path.join(state, 'images'), 0o755);
  await fs.chmod(path.join(state, 'pods'), 0o711);
  await ImageStore.open(state, { warn: (m) => warnings.push(m) });
  assert.deepEqual([await mode(path.join(state, 'images')), await mode(path.join(state, 'pods'))], [0o700, 0o700]);
  assert.deepEqual(warnings, [
    `${state}/images had mode 0755, open to other users: made it 0700 (no other user may run the images' setuid files or read the pods' files)`,
    `${state}/pods had mode 0711, open to other users: made it 0700 (no other user may run the images' setuid files or read the pods' files)`,
  ]);
  // The CLI says so on stderr.
  await fs.chmod(path.join(state, 'images'), 0o777);
  const list = await runSprocket(['--dir', state, 'image', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stderr, /^sprocket: warning: \S+\/images had mode 0777, open to other users: made it 0700/m);
  await fs.rm(dir, { recursive: true });
});

test('a pod taking and dropping an image is its use: LAST USED moves, and gc\'s grace period counts from there', async () => {
  const { dir, store, write } = await setup();
  const a = await store.import(await write('a.aci', await craftAci([], manifestJson('example.com/a'))));
  const b = await store.import(await write('b.aci', await craftAci([], manifestJson('example.com/b'))));
  // Imported two days ago, as far as the store knows.
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
  for (const id of [a.id, b.id]) {
    const info = path.join(store.images, id, 'info.json');
    await fs.writeFile(info, JSON.stringify({ ...JSON.parse(await fs.readFile(info, 'utf8')), importedAt: twoDaysAgo, lastUsedAt: twoDaysAgo }));
  }
  const images = storeImages(store, {} as Parameters<typeof storeImages>[1]);
  const uuid = '0123456789abcdef0123456789abcdef';
  await images.hold([a.id], uuid);
  const held = (await store.info(a.id)).lastUsedAt;
  assert.ok(Date.parse(held) > Date.now() - 60_000, `lastUsedAt ${held} is now`);
  assert.equal((await store.info(a.id)).importedAt, twoDaysAgo);
  await images.release([a.id], uuid);
  assert.ok((await store.info(a.id)).lastUsedAt >= held);
  assert.deepEqual((await store.gc(86_400_000)).removed, [b.id], 'a was used within the day, b not');
  await fs.rm(dir, { recursive: true });
});

test('an ID prefix that matches several images (sha512- alone, say) is refused, listing them', async () => {
  const { dir, store, write } = await setup();
  const a = await store.import(await write('a.aci', await craftAci([], manifestJson('example.com/a'))));
  const b = await store.import(await write('b.aci', await craftAci([], manifestJson('example.com/b'))));
  await assert.rejects(store.resolve('sha512-'), (e: unknown) => {
    assert.ok(e instanceof SprocketError && e.kind === 'conflict');
    assert.match(e.describe(), /sha512- is ambiguous: it matches 2 images/);
    for (const id of [a.id, b.id]) assert.ok(e.describe().includes(id.slice(0, 19)), `${id} listed`);
    return true;
  });
  await store.remove(b.id);
  assert.equal(await store.resolve('sha512-'), a.id);
  await fs.rm(dir, { recursive: true });
});

test('concurrent imports (and a gc meanwhile) by several processes keep the store consistent', async () => {
  const { dir, write } = await setup();
  const files = await Promise.all([0, 1, 2].map(async (i) => write(`${i}.aci`, await craftAci([{ name: 'rootfs/data', body: Buffer.alloc(2_000_000, i) }], manifestJson(`example.com/c${i}`)))));
  const storeDir = path.join(dir, 'cstore');
  const imports = [...files, ...files, ...files].map((f) => runSprocket(['--dir', storeDir, 'image', 'import', f]));
  const gc = runSprocket(['--dir', storeDir, 'image', 'gc', '--grace-period', '1h']);
  const runs = await Promise.all(imports);
  for (const r of [...runs, await gc]) assert.equal(r.code, 0, r.stderr);
  const ids = new Set(runs.map((r) => r.stdout.trim()));
  assert.equal(ids.size, 3);
  const store = await ImageStore.open(storeDir);
  assert.deepEqual((await store.list()).images.map((i) => i.id).sort(), [...ids].sort());
  assert.deepEqual((await fs.readdir(path.join(store.images, 'blobs'))).sort(), [...ids].sort());
  assert.deepEqual(await fs.readdir(path.join(store.images, 'tmp')), []);
  for (const id of ids) assert.equal((await fs.stat(path.join(store.treePath(id as never), 'data'))).size, 2_000_000);
  await fs.rm(dir, { recursive: true });
});

test('an image whose manifest no longer validates is reported by list and name lookup, never hidden; a read error is not "no such image"', async () => {
  const { dir, store, write } = await setup();
  const good = await store.import(await write('a.aci', await craftAci([], manifestJson('example.com/good'))));
  const bad = await store.import(await write('b.aci', await craftAci([], manifestJson('example.com/bad'))));
  await fs.writeFile(path.join(store.images, bad.id, 'manifest'), '{"acKind": "ImageManifest"}');
  const { images, broken } = await store.list();
  assert.deepEqual(images.map((i) => i.id), [good.id]);
  assert.deepEqual(broken.map((b) => b.id), [bad.id]);
  assert.match((broken[0]!.error as SprocketError).describe(), /manifest/);
  await assert.rejects(store.resolve('example.com/bad'), (e) => kindOf('invalid')(e) && (e as SprocketError).describe().includes(bad.id));
  assert.equal(await store.resolve('example.com/good'), good.id);
  // images/<id> that is not a directory: the read fails with ENOTDIR, which is not absence.
  await fs.rm(path.join(store.images, bad.id), { recursive: true });
  await fs.writeFile(path.join(store.images, bad.id), '');
  await assert.rejects(store.has(bad.id), (e) => kindOf('io')(e) && /cannot read the image store/.test((e as Error).message));
  await assert.rejects(store.manifest(bad.id), kindOf('io'));
  await fs.rm(dir, { recursive: true });
});
