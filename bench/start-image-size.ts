// Pod start against image size (issue 5): `sprocket run -d` of a 1-app pod
// until its first journal line, for the busybox image with --small and with
// --large MiB of extra files (1 MiB each, random), interleaved. The first
// start of each image (when its tree may be rendered) is shown apart.
// Run: npm run build && bench/start-image-size [--n 15] [--small 10] [--large 500]
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../test/support/command.js';
import { BENCH_IMAGE, INSIDE, runInHost } from './lib/in-host.js';
import { JournalWatch, nowMs } from './lib/journal-watch.js';
import { idleApps, removePods, runIdlePod, sprocket } from './lib/sprocket-pods.js';
import { flags, load, median, ms, p90, ratio, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const { n, small, large } = flags(argv, { n: 15, small: 10, large: 500 });
const LAYOUTS = '/var/lib/sprocket/layouts';

/** The bench image's layout (test/support/pods.ts put it there) with `mib` MiB more, built and fetched as NAME. */
async function sizedImage(mib: number): Promise<string> {
  const name = `example.com/bench-${mib}mib`;
  const layout = path.join(LAYOUTS, `bench-${mib}mib`);
  const cp = await runCommand('cp', ['-a', path.join(LAYOUTS, BENCH_IMAGE.replaceAll('/', '_')), layout]);
  if (cp.code !== 0) throw new Error(`cp: ${cp.stderr}`);
  const manifest = JSON.parse(await fs.readFile(path.join(layout, 'manifest'), 'utf8')) as Record<string, unknown>;
  await fs.writeFile(path.join(layout, 'manifest'), JSON.stringify({ ...manifest, name }));
  await fs.mkdir(path.join(layout, 'rootfs/filler'));
  for (let i = 0; i < mib; i++) await fs.writeFile(path.join(layout, `rootfs/filler/${i}`), randomBytes(1024 * 1024));
  await sprocket(['image', 'build', '--no-compression', '--owner-root', layout, `${layout}.aci`]);
  await sprocket(['fetch', '--insecure-options=image', `${layout}.aci`]);
  await fs.rm(layout, { recursive: true });
  await fs.rm(`${layout}.aci`);
  return name;
}

async function measure(): Promise<void> {
  const watch = await JournalWatch.start();
  const images = [await sizedImage(small), await sizedImage(large)];
  const samples = images.map(() => [] as number[]);
  const first: number[] = [];
  for (let round = -1; round < n; round++) {
    for (let k = 0; k < images.length; k++) {
      const i = (k + Math.max(round, 0)) % images.length;
      const apps = idleApps(1, `size-${round}-${i}`);
      const t0 = nowMs();
      const uuid = await runIdlePod(apps, images[i]);
      const elapsed = (await watch.at(apps[0]!.line)) - t0;
      if (round < 0) first[i] = elapsed;
      else samples[i]!.push(elapsed);
      await removePods([uuid]);
    }
  }
  watch.stop();
  const rows: (string | number)[][] = [['image', 'first start ms', 'median ms', 'p90 ms']];
  [small, large].forEach((size, i) => rows.push([`busybox + ${size} MiB`, ms(first[i]!), ms(median(samples[i]!)), ms(p90(samples[i]!))]));
  console.log(`pod start against image size, N=${n} per row, interleaved; run -d until the app's first journal line`);
  console.log(table(rows));
  console.log(`target: flat in image size: large / small = ${ratio(median(samples[1]!), median(samples[0]!))} (first start: ${ratio(first[1]!, first[0]!)})`);
  console.log(load());
}

if (INSIDE) await measure();
else await runInHost(import.meta.url, argv);
