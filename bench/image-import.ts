// Import throughput: `ImageStore.import` of a generated ~200 MB ACI, next to
// `tar -x` plus `sha512sum` of the same file in the same run (what import
// does at minimum: unpack and hash). A benchmark that prints figures, not a test.
// Run: npm run build && node dist/bench/image-import.js [MiB]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildAci } from '../src/image/aci-builder.js';
import { ImageStore } from '../src/image/store.js';

const mib = Number(process.argv[2] ?? 200);
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
  execFileSync('sync');
  const store = await ImageStore.open(path.join(dir, 'store'));
  const importMs = await time(() => store.import(aci));
  const out = path.join(dir, 'tar-x');
  await fs.mkdir(out);
  execFileSync('sync');
  const tarMs = await time(() => {
    execFileSync('tar', ['-x', '-f', aci, '-C', out]);
    execFileSync('sha512sum', [aci]);
  });
  console.log(`ACI: ${(bytes / 1024 / 1024).toFixed(0)} MiB uncompressed tar, ${(await fs.readdir(path.join(out, 'rootfs'), { recursive: true })).length} entries`);
  console.log(`sprocket image import:  ${importMs.toFixed(0)} ms  ${rate(importMs)}  (also keeps a copy of the blob for export)`);
  console.log(`tar -x + sha512sum:     ${tarMs.toFixed(0)} ms  ${rate(tarMs)}`);
  console.log(`ratio import / tar+sha: ${(importMs / tarMs).toFixed(2)}`);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
