// Import throughput: `ImageStore.import` of a generated ~200 MB ACI, next to
// `tar -x` plus `sha512sum` of the same file in the same run (what import
// does at minimum: unpack and hash), ROUNDS times interleaved (the order
// alternating; each into a fresh directory, after a sync), medians compared;
// then a registry pull of a 3-layer OCI image beside `skopeo copy` of it,
// ROUNDS times (bench/lib/registry-pull.ts, in a test host).
// A benchmark that prints figures, not a test.
// Run: npm run build && node dist/bench/image-import.js [MiB] [ROUNDS]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildAci } from '../src/image/aci-builder.js';
import { ImageStore } from '../src/image/store.js';
import { registryPull } from './lib/registry-pull.js';

const mib = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 3);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sprocket-bench-'));
try {
  // Files from 4 KiB to 4 MiB, random (incompressible) content.
  const rootfs = path.join(dir, 'layout/rootfs');
  await fs.mkdir(rootfs, { recursive: true });
  await fs.writeFile(path.join(dir, 'layout/manifest'), JSON.stringify({ acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/bench' }));
  let total = 0;
  for (let i = 0; total < mib * 1024 * 1024; i++) {
    const size = 4096 << (i % 11);
    const sub = path.join(rootfs, `d${i % 16}`);
    await fs.mkdir(sub, { recursive: true });
    await fs.writeFile(path.join(sub, `f${i}`), randomBytes(size));
    total += size;
  }
  const aci = path.join(dir, 'bench.aci');
  await buildAci(path.join(dir, 'layout'), aci, { compress: false });
  const bytes = (await fs.stat(aci)).size;
  const rate = (ms: number) => `${(bytes / 1024 / 1024 / (ms / 1000)).toFixed(0)} MiB/s`;
  const time = async (fn: () => unknown) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const out = path.join(dir, 'tar-x');
  const importOnce = async () => {
    await fs.rm(path.join(dir, 'store'), { recursive: true, force: true });
    execFileSync('sync');
    const store = await ImageStore.open(path.join(dir, 'store'));
    return time(() => store.import(aci));
  };
  const tarOnce = async () => {
    await fs.rm(out, { recursive: true, force: true });
    await fs.mkdir(out);
    execFileSync('sync');
    return time(() => {
      execFileSync('tar', ['-x', '-f', aci, '-C', out]);
      execFileSync('sha512sum', [aci]);
    });
  };
  const importTimes: number[] = [];
  const tarTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) importTimes.push(await importOnce());
    tarTimes.push(await tarOnce());
    if (round % 2 === 1) importTimes.push(await importOnce());
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const [importMs, tarMs] = [median(importTimes), median(tarTimes)];
  const each = (a: number[]) => a.map((t) => t.toFixed(0)).join(', ');
  console.log(`ACI: ${(bytes / 1024 / 1024).toFixed(0)} MiB uncompressed tar, ${(await fs.readdir(path.join(out, 'rootfs'), { recursive: true })).length} entries; ${rounds} rounds, interleaved, medians`);
  console.log(`sprocket image import:  ${importMs.toFixed(0)} ms  ${rate(importMs)}  (the blob keeps what the tree does not, docs/on-disk-format.md; each: ${each(importTimes)})`);
  console.log(`tar -x + sha512sum:     ${tarMs.toFixed(0)} ms  ${rate(tarMs)}  (each: ${each(tarTimes)})`);
  console.log(`ratio import / tar+sha: ${(importMs / tarMs).toFixed(2)} (target: import at least 1.0x as fast, a ratio <= 1.00)`);
  console.log(`load ${(await fs.readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`);
  // A registry pull (in a test host, bench/lib/registry-pull.ts) of an image a quarter of that size.
  const pull = await registryPull(Math.max(1, Math.round(mib / 4)), rounds);
  const pullRate = (samples: number[]) => `${(pull.bytes / 1024 / 1024 / (median(samples) / 1000)).toFixed(0)} MiB/s`;
  console.log(`registry image: 3 layers (busybox, 2 of ${(pull.bytes / 2 / 1024 / 1024).toFixed(0)} MiB random), median of ${rounds}`);
  console.log(`sprocket fetch docker://:      ${median(pull.fetch).toFixed(0)} ms  ${pullRate(pull.fetch)}  (layers stored as chained ACIs; each: ${each(pull.fetch)})`);
  console.log(`skopeo copy to an OCI layout:  ${median(pull.skopeo).toFixed(0)} ms  ${pullRate(pull.skopeo)}  (each: ${each(pull.skopeo)})`);
  console.log(`ratio fetch / skopeo:          ${(median(pull.fetch) / median(pull.skopeo)).toFixed(2)}`);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
