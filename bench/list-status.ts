// State commands and CLI start-up (issues 5 and 12): `sprocket list` and
// `sprocket status` with 1 and with --pods pods in the store, beside
// `sprocket --version` and `node -e 0`. sprocket runs as the package runs it,
// through its launcher (from the start-up snapshot); `--version` also from
// the bundle alone (node dist/src/cli/main.js, without the snapshot). The pods are one real exited pod (sprocket
// run) and copies of its directory under new UUIDs (the files a pod's life
// leaves, the UUID replaced), as fast to make as the real thing is slow.
// Each figure is the wall time of the whole command, interleaved.
// Run: npm run build && bench/list-status [--n 15] [--pods 1000]
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../test/support/command.js';
import { CLI } from '../test/support/pods.js';
import { BENCH_IMAGE, INSIDE, runInHost } from './lib/in-host.js';
import { launcher, sprocket } from './lib/sprocket-pods.js';
import { flags, load, median, ms, p90, ratio, table } from './lib/stats.js';
import { nowMs } from './lib/journal-watch.js';

const argv = process.argv.slice(2);
const { n, pods } = flags(argv, { n: 15, pods: 1000 });
const PODS = '/var/lib/sprocket/pods';

/** Copies pod `uuid` `count` times under new UUIDs. */
async function copyPod(uuid: string, count: number): Promise<void> {
  const from = path.join(PODS, uuid);
  const entries = await fs.readdir(from, { recursive: true, withFileTypes: true });
  const naming: string[] = [];
  for (const e of entries.filter((e) => e.isFile())) {
    const file = path.join(e.parentPath, e.name);
    if ((await fs.readFile(file, 'utf8')).includes(uuid)) naming.push(path.relative(from, file));
  }
  for (let i = 0; i < count; i++) {
    const copy = randomUUID();
    const to = path.join(PODS, copy);
    const cp = await runCommand('cp', ['-a', from, to]);
    if (cp.code !== 0) throw new Error(`cp: ${cp.stderr}`);
    for (const f of naming) {
      const text = await fs.readFile(path.join(to, f), 'utf8');
      await fs.writeFile(path.join(to, f), text.replaceAll(uuid, copy));
    }
  }
}

async function timed(file: string, args: string[]): Promise<number> {
  const t0 = nowMs();
  const r = await runCommand(file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return nowMs() - t0;
}

/** Adds each command's median and p90 to `rows`; returns the medians. */
async function rounds(commands: [string, string, string[]][], rows: (string | number)[][]): Promise<number[]> {
  const samples = commands.map(() => [] as number[]);
  for (let round = 0; round < n; round++) {
    for (let k = 0; k < commands.length; k++) {
      const i = (k + round) % commands.length;
      const [, file, args] = commands[i]!;
      samples[i]!.push(await timed(file, args));
    }
  }
  commands.forEach(([name], i) => rows.push([name, ms(median(samples[i]!)), ms(p90(samples[i]!))]));
  return samples.map((s) => median(s));
}

async function measure(): Promise<void> {
  await sprocket(['run', BENCH_IMAGE, '--exec', '/bin/true']);
  const [uuid] = (await sprocket(['list', '--full', '--no-legend'])).trim().split(/\s+/);
  const sprocketBin = await launcher();
  const cli = (label: string, ...args: string[]): [string, string, string[]] => [label, sprocketBin, args];
  const stateCommands = (count: number): [string, string, string[]][] => [
    cli(`sprocket list (${count} pods)`, 'list'),
    cli(`sprocket list --format json (${count} pods)`, 'list', '--format', 'json'),
    cli(`sprocket status UUID (${count} pods)`, 'status', uuid!),
    cli(`sprocket status PREFIX (${count} pods)`, 'status', uuid!.slice(0, 8)),
  ];
  const rows: (string | number)[][] = [['command', 'median ms', 'p90 ms']];
  const [node, version] = await rounds([
    ['node -e 0', process.execPath, ['-e', '0']],
    cli('sprocket --version', '--version'),
    ['node dist/src/cli/main.js --version', process.execPath, [CLI, '--version']],
    ...stateCommands(1),
  ], rows);
  await copyPod(uuid!, pods - 1);
  await rounds(stateCommands(pods), rows);
  console.log(`CLI start-up and state commands, N=${n} per row, wall time of the whole command, interleaved`);
  console.log(table(rows));
  const slowest = Math.max(...rows.slice(1).filter((r) => String(r[0]).includes(`(${pods} pods)`)).map((r) => Number(r[1])));
  console.log(`target: list/status with ${pods} pods < 200 ms: slowest median ${slowest} ms`);
  console.log(`target: sprocket --version <= 1.5x node -e 0: ${ratio(version!, node!)}`);
  console.log(load());
}

if (INSIDE) await measure();
else await runInHost(import.meta.url, argv);
