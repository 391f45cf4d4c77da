// OCI images into the ACI store through oci-archive: layers as layer images
// stored once, whiteouts and opaque directories honoured in the rendered
// tree, the config mapped to the app, a corrupt layer refused with nothing stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ImageStore } from '../../../src/image/store.js';
import { importArchive } from '../../../src/image/oci/archive.js';
import { SprocketError } from '../../../src/errors.js';
import { layoutTar, ociLayout } from '../../support/oci-layout.js';
import { tempDir, treeOf } from '../image/craft.js';

let dir: string;
let store: ImageStore;
before(async () => {
  dir = await tempDir('sprocket-oci-');
  store = await ImageStore.open(path.join(dir, 'state'));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

const d = (name: string) => ({ name, type: 'directory' as const, mode: 0o755 });
const f = (name: string, body = name) => ({ name, body });
const base = [d('bin/'), f('bin/tool'), d('etc/'), f('etc/keep'), f('etc/gone'), d('opt/'), d('opt/app/'), f('opt/app/old'), d('var/'), f('var/x')];
const upper = [f('.wh.var'), f('etc/.wh.gone'), d('opt/app/'), f('opt/app/.wh..wh..opq'), f('opt/app/new'), f('etc/added')];
const config = {
  Entrypoint: ['/bin/tool'], Cmd: ['--flag'], Env: ['A=1', 'B=x=y'], WorkingDir: '/opt/app', User: '1000:100',
  ExposedPorts: { '8080/tcp': {}, '53/udp': {} }, Volumes: { '/var/lib/data': {} }, Labels: { 'org.example.team': 'core', 'Bad Key!': 'dropped' },
};

async function importLayout(name: string, layers = [base, upper], cfg: Record<string, unknown> = config) {
  const layout = await ociLayout(layers, cfg);
  const file = path.join(dir, name);
  await fs.writeFile(file, await layoutTar(layout));
  return { layout, id: await importArchive({ kind: 'oci-archive', file }, store, () => {}) };
}

test('whiteouts and opaque directories of an upper layer hide the lower files in the rendered tree', async () => {
  const { id } = await importLayout('a.tar');
  assert.deepEqual(await treeOf(store.treePath(id)), ['bin', 'bin/tool', 'etc', 'etc/added', 'etc/keep', 'opt', 'opt/app', 'opt/app/new']);
});

test('the config becomes the app: exec, environment, user and group, working directory, ports, mount points, annotations', async () => {
  const { id, layout } = await importLayout('a.tar');
  const m = await store.manifest(id);
  assert.equal(m.name, 'archive/a.tar');
  assert.deepEqual(m.labels?.find((l) => l.name === 'version'), { name: 'version', value: 'v1' });
  assert.deepEqual(m.app?.exec, ['/bin/tool', '--flag']);
  assert.deepEqual(m.app?.environment, [{ name: 'A', value: '1' }, { name: 'B', value: 'x=y' }]);
  assert.equal(m.app?.user, '1000');
  assert.equal(m.app?.group, '100');
  assert.equal(m.app?.workingDirectory, '/opt/app');
  assert.deepEqual(m.app?.ports?.map((p) => [p.name, p.protocol, p.port]), [['8080-tcp', 'tcp', 8080], ['53-udp', 'udp', 53]]);
  assert.deepEqual(m.app?.mountPoints, [{ name: 'volume-var-lib-data', path: '/var/lib/data' }]);
  const annotations = Object.fromEntries((m.annotations ?? []).map((a) => [a.name, a.value]));
  assert.equal(annotations['org.example.team'], 'core');
  assert.equal(annotations['oci-manifest-digest'], layout.manifestDigest);
  assert.equal(m.dependencies?.length, 2);
});

test('a layer shared by two images is stored once', async () => {
  const before = (await store.list()).images.filter((i) => i.manifest.name.startsWith('oci-layer/')).length;
  await importLayout('b.tar', [base, [f('etc/other')]], {});
  const layers = (await store.list()).images.filter((i) => i.manifest.name.startsWith('oci-layer/'));
  assert.equal(layers.length, before + 1, 'only the new upper layer is added');
});

test('a layer whose bytes do not match its digest is refused and nothing is stored', async () => {
  const layout = await ociLayout([[f('bin/other')], [f('etc/more')]], {});
  const victim = `blobs/sha256/${layout.layerDigests[1]!.slice(7)}`;
  const bytes = Buffer.from(layout.files.get(victim)!);
  bytes[bytes.length - 5] ^= 0xff;
  layout.files.set(victim, bytes);
  const file = path.join(dir, 'corrupt.tar');
  await fs.writeFile(file, await layoutTar(layout));
  const ids = (await store.list()).images.map((i) => i.id);
  await assert.rejects(importArchive({ kind: 'oci-archive', file }, store, () => {}), (e: SprocketError) => e.kind === 'invalid' && /digest/.test(e.message) && e.field === layout.layerDigests[1]);
  assert.deepEqual((await store.list()).images.map((i) => i.id), ids);
  assert.deepEqual(await fs.readdir(path.join(store.images, 'tmp')), []);
});

test('a layer damaged in its middle is refused for its digest, not as the corrupt data it inflates to; the layer below it, already staged, is not stored either', async () => {
  // 3 MiB that do not compress: the blob streams in several chunks, and the length of its first
  // stored deflate block (right after the 10 bytes of the gzip header), flipped, stops the inflation at once.
  const layout = await ociLayout([[f('bin/lower', 'lower')], [{ name: 'var/big', body: randomBytes(3 << 20) }]], {});
  const victim = `blobs/sha256/${layout.layerDigests[1]!.slice(7)}`;
  const bytes = Buffer.from(layout.files.get(victim)!);
  bytes[11] ^= 0xff;
  layout.files.set(victim, bytes);
  const file = path.join(dir, 'middle.tar');
  await fs.writeFile(file, await layoutTar(layout));
  const fresh = await ImageStore.open(path.join(dir, 'middle'));
  await assert.rejects(importArchive({ kind: 'oci-archive', file }, fresh, () => {}), (e: SprocketError) =>
    e.kind === 'invalid' && /has digest sha256:[0-9a-f]{64}, but the manifest says/.test(e.message) && e.field === layout.layerDigests[1] && e.file === `${file}: ${layout.layerDigests[1]}`);
  assert.deepEqual(await treeOf(fresh.images), ['blobs', 'tmp'], 'no image, no blob, no scratch directory');
});

async function refused(name: string, layout: Awaited<ReturnType<typeof ociLayout>>, check: (e: SprocketError) => boolean) {
  const file = path.join(dir, name);
  await fs.writeFile(file, await layoutTar(layout));
  const ids = (await store.list()).images.map((i) => i.id);
  await assert.rejects(importArchive({ kind: 'oci-archive', file }, store, () => {}), check);
  assert.deepEqual((await store.list()).images.map((i) => i.id), ids, 'nothing stored');
}

test('a layer whose content does not match the DiffID of the config is refused and nothing is stored', async () => {
  const layout = await ociLayout([[f('bin/third')], [f('etc/fourth')]], {}, 'v1', [`sha256:${'1'.repeat(64)}`, `sha256:${'0'.repeat(64)}`]);
  await refused('diffid.tar', layout, (e) => e.kind === 'invalid' && e.field === 'rootfs.diff_ids');
});

test('layers go through the ACI reader: an entry with ".." is refused', async () => {
  await refused('evil.tar', await ociLayout([[f('../escape')]], {}), (e) => e.kind === 'invalid' && /"\.\."/.test(e.message));
});

test('a layer that decompresses like a bomb is refused by the same bound as an ACI, nothing stored', async () => {
  const tight = await ImageStore.open(path.join(dir, 'tight'), { limits: { ratioFloor: 0, maxCompressionRatio: 20 } });
  const file = path.join(dir, 'bomb.tar');
  await fs.writeFile(file, await layoutTar(await ociLayout([[f('zeros', '\0'.repeat(4 << 20))]], {})));
  await assert.rejects(importArchive({ kind: 'oci-archive', file }, tight, () => {}), (e: SprocketError) => e.kind === 'invalid' && /decompression bomb/.test(e.message));
  assert.deepEqual((await tight.list()).images, []);
});
