// Property tests (fast-check, fixed seed, small runs): random and mutated
// input never crashes sprocket with anything but its own error, which the
// CLI turns into exit 254 (64 for usage) with the file and field named, and
// an ACI never writes outside its target, nor a pod manifest's paths and
// names outside the pod directory. A failure found here is kept as a
// plain unit test beside the code it concerns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { SprocketError } from '../../src/errors.js';
import { parseImageManifest, parsePodManifest } from '../../src/spec/index.js';
import { parseRunArgs } from '../../src/cli/run-args.js';
import { readAci } from '../../src/image/aci-reader.js';
import { TreeWriter } from '../../src/image/tree-writer.js';
import { imageLimits } from '../../src/image/limits.js';
import { convertLayer } from '../../src/image/oci/layer.js';
import { buildPlan, type PlanHost, type PlanImages } from '../../src/pod/plan.js';
import { hostTreeFiles } from '../../src/pod/image-tree.js';
import { writeStage1Root } from '../../stage1-nspawn/stage1-root.js';
import { craftAci, craftTar, tempDir, treeOf, type Entry } from './image/craft.js';

const SEED = 20261203;
const ownError = (e: unknown) => e instanceof SprocketError && e.message.length > 0;

function onlyOwnErrors(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (e) {
    if (ownError(e)) return true;
    throw e;
  }
}

test('random JSON and manifest-shaped JSON never crash the manifest parsers', () => {
  const manifestish = fc.record({
    acKind: fc.constantFrom('ImageManifest', 'PodManifest', 'x'),
    acVersion: fc.constantFrom('0.8.11', '1', '0.8.99999999999999999999'),
    name: fc.oneof(fc.string(), fc.constant('example.com/x')),
    app: fc.anything(),
    apps: fc.anything(),
    labels: fc.anything(),
    annotations: fc.anything(),
    volumes: fc.anything(),
  }, { requiredKeys: [] });
  fc.assert(fc.property(fc.oneof(fc.json(), manifestish.map((m) => JSON.stringify(m)), fc.string()), (text) => {
    onlyOwnErrors(() => parseImageManifest(text, 'm.json'));
    onlyOwnErrors(() => parsePodManifest(text, 'p.json'));
  }), { seed: SEED, numRuns: 300 });
});

test('random run arguments never crash the run-argument parser', () => {
  const word = fc.oneof(
    fc.constantFrom('--name', '--exec', '--volume', '--mount', '--memory', '--cpu', '--caps-retain', '--seccomp', '--set-env', '--insecure-options',
      '--user', '--environment', '--oom-score-adj', '--net', '---', '--', 'example.com/x', 'data,kind=empty', 'volume=data,target=/d', 'mode=retain,read', '64Mi', 'all'),
    fc.string(),
  );
  fc.assert(fc.property(fc.array(word, { maxLength: 12 }), (argv) => onlyOwnErrors(() => parseRunArgs(argv, {}))), { seed: SEED, numRuns: 500 });
});

/** Bytes, gzip and cuts of a tar: most changes in the headers (the first 512 bytes of each entry), some anywhere. */
const tarMutation = (base: Buffer) => fc.record({
  bytes: fc.array(fc.record({ at: fc.oneof(fc.nat(base.length - 1), fc.tuple(fc.nat(511), fc.nat(3)).map(([n, k]) => n + 1024 * k)), value: fc.nat(255) }), { minLength: 1, maxLength: 8 }),
  gzip: fc.boolean(),
  cut: fc.option(fc.nat(base.length)),
});
function mutate(base: Buffer, m: { bytes: { at: number; value: number }[]; cut: number | null }): Buffer {
  const bytes = Buffer.from(base);
  for (const { at, value } of m.bytes) if (at < bytes.length) bytes[at] = value;
  return m.cut === null ? bytes : bytes.subarray(0, m.cut);
}

/** Reads the ACI at work/x.aci into work/root: only sprocket's error may come out, nothing lands beside root or above it. */
async function readIntoTree(work: string, file: string, beside: string[]): Promise<void> {
  const tree = new TreeWriter(path.join(work, 'root'));
  await fs.mkdir(tree.root);
  await readAci(file, (e, body) => tree.write(e, body)).then(() => tree.finish(), (e: unknown) => {
    if (!ownError(e)) throw e;
  });
  assert.deepEqual((await fs.readdir(work)).sort(), [...beside, 'root'].sort(), 'nothing beside the target');
  for (const p of await treeOf(tree.root)) assert.ok(!p.startsWith('..'), p);
}

const ENTRIES: Entry[] = [
  { name: 'rootfs/bin', type: 'directory', mode: 0o755 },
  { name: 'rootfs/bin/a', body: 'hello' },
  { name: 'rootfs/l', type: 'symlink', linkname: '../../etc' },
  { name: 'rootfs/h', type: 'link', linkname: 'rootfs/bin/a' },
];

test('mutated ACIs (bytes, names, sizes, links, compression) are read or refused with sprocket\'s error, never written outside the target', async () => {
  const base = await craftAci(ENTRIES);
  const dir = await tempDir('sprocket-property-');
  let round = 0;
  await fc.assert(fc.asyncProperty(tarMutation(base), async (m) => {
    const work = path.join(dir, String(round++));
    await fs.mkdir(work);
    const file = path.join(work, 'x.aci');
    const cut = mutate(base, m);
    await fs.writeFile(file, m.gzip ? gzipSync(cut) : cut);
    await readIntoTree(work, file, ['x.aci']);
    await fs.rm(work, { recursive: true });
  }), { seed: SEED, numRuns: 150 });
  await fs.rm(dir, { recursive: true });
});

test('mutated OCI layers are converted or refused with sprocket\'s error; what they convert to is read like any ACI, never outside the target', async () => {
  // A layer: no rootfs/ prefix, a whiteout, a leading /.
  const base = await craftTar([...ENTRIES.map((e) => ({ ...e, name: e.name.replace(/^rootfs\//, '/'), ...(e.type === 'link' ? { linkname: 'bin/a' } : {}) })), { name: 'bin/.wh.gone' }]);
  const dir = await tempDir('sprocket-property-');
  let round = 0;
  await fc.assert(fc.asyncProperty(tarMutation(base), async (m) => {
    const work = path.join(dir, String(round++));
    await fs.mkdir(work);
    const layer = mutate(base, m);
    const blob = path.join(work, 'layer');
    await fs.writeFile(blob, m.gzip ? gzipSync(layer) : layer);
    const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
    const out = path.join(work, 'x.aci');
    const aci = convertLayer({ blob: createReadStream(blob), mediaType: 'application/vnd.oci.image.layer.v1.tar', diffId, source: 'layer', limits: imageLimits() });
    const converted = await pipeline(aci, createWriteStream(out)).then(() => true, (e: unknown) => {
      if (!ownError(e)) throw e;
      return false;
    });
    if (converted) await readIntoTree(work, out, ['layer', 'x.aci']);
    await fs.rm(work, { recursive: true });
  }), { seed: SEED, numRuns: 150 });
  await fs.rm(dir, { recursive: true });
});

/** Names and paths as a pod manifest may hold them, hostile ones included. */
const hostilePath = fc.oneof(
  fc.constantFrom('/data', 'data', '/../../../../escape', '../escape', '/a/../../escape', '/./x', '//x', '/x/', '/', '', '/proc', '/a\nb', '/a\0b', '/var/data', '.', '..'),
  fc.array(fc.constantFrom('a', '..', '.', '', 'escape', 'x y'), { maxLength: 6 }).map((parts) => parts.join('/')),
);
const hostileName = fc.constantFrom('web', 'data', '../escape', 'a/b', '.', '..', '', 'UP', 'x-y', 'a\nb');

test('random mount targets, volume and app names never crash the pod plan and never write outside the pod directory', async () => {
  const dir = await tempDir('sprocket-property-');
  const tree = path.join(dir, 'tree');
  for (const d of ['bin', 'etc', 'var/data']) await fs.mkdir(path.join(tree, d), { recursive: true });
  await fs.writeFile(path.join(tree, 'bin/sh'), '', { mode: 0o755 });
  const id = `sha512-${'a'.repeat(128)}`;
  const images = {
    manifest: async () => ({ acKind: 'ImageManifest' as const, acVersion: '0.8.11', name: 'example.com/x', app: { exec: ['/bin/sh'], user: '0', group: '0', mountPoints: [{ name: 'data', path: '/var/data' }] } }),
    treePath: () => tree,
  } as unknown as PlanImages;
  const host: PlanHost = { files: hostTreeFiles, support: async () => ({ controllers: [], apparmorProfiles: null, selinux: false }) };
  const before = await treeOf(dir);
  const uuid = '0b3c7e9a-5f1d-4c2b-9a8e-1f2d3c4b5a69';
  let round = 0;
  await fc.assert(fc.asyncProperty(fc.record({
    app: hostileName, volume: hostileName, target: hostilePath, readOnlyRootFS: fc.boolean(), kind: fc.constantFrom('empty', 'host'), source: hostilePath,
  }), async (m) => {
    // Deep enough that a relative escape of a few .. would still land below `dir`, where it is seen.
    const podDir = path.join(dir, 'pods', String(round++), 'a', 'b', uuid);
    const text = JSON.stringify({
      acKind: 'PodManifest', acVersion: '0.8.11',
      apps: [{ name: m.app, image: { id }, readOnlyRootFS: m.readOnlyRootFS, mounts: [{ volume: m.volume, path: m.target }] }],
      volumes: [{ name: m.volume, kind: m.kind, ...(m.kind === 'host' ? { source: m.source } : {}) }, { name: 'data', kind: 'empty' }],
    });
    try {
      const manifest = parsePodManifest(text, 'pod.json');
      const plan = await buildPlan({ uuid, podDir, manifest, source: 'pod.json' }, images, host);
      await writeStage1Root(plan);
    } catch (e) {
      if (!ownError(e)) throw new Error(`not sprocket's error: ${(e as Error).stack}`);
    }
    const outside = (await treeOf(dir)).filter((p) => !p.startsWith(`pods${path.sep}`) && p !== 'pods');
    assert.deepEqual(outside, before, 'nothing written beside the pod directory');
    await fs.mkdir(path.join(dir, 'pods'), { recursive: true });
    for (const p of await treeOf(path.join(dir, 'pods'))) assert.ok(p.split(path.sep).length < 4 || p.split(path.sep).slice(1, 4).join('/') === `a/b/${uuid}`, p);
  }), { seed: SEED, numRuns: 120 });
  await fs.rm(dir, { recursive: true });
});
