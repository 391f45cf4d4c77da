// Soak (issue 8): --loops parallel loops (default 8), each repeating run -d,
// stop, rm, gc, image import and image rm (of an image of its own) for
// --duration seconds, inside one test host. Then the invariants: every pod is
// explained (list exits 0), and after gc nothing is left behind
// (test/support/leftovers.ts) and every image verifies. Prints the
// operations done and the failures seen; exits 1 on any failure or broken
// invariant. A refusal because another command holds a pod ("in use by
// another sprocket command") is counted apart: it is the lock doing its job.
// So is an rm of a loop's own pod that another loop's `gc --grace-period=0s`
// removed between the stop and the rm ("no pod UUID"): gc collects every
// exited pod, and rm of a pod that is gone rightly exits non-zero.
// Run: npm run build && bench/soak [--loops 8] [--duration 300]
import { runCommand } from '../test/support/command.js';
import { leftovers } from '../test/support/leftovers.js';
import { CLI } from '../test/support/pods.js';
import { BENCH_IMAGE, INSIDE, runInHost } from './lib/in-host.js';
import { flags, load, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const { loops, duration } = flags(argv, { loops: 8, duration: 60 });
const DIR = '/var/lib/sprocket';
const OPS = ['run', 'stop', 'rm', 'gc', 'image import', 'image rm'] as const;
type Op = (typeof OPS)[number];

const done = new Map<Op, number>(OPS.map((o) => [o, 0]));
const conflicts = new Map<Op, number>(OPS.map((o) => [o, 0]));
const collected = new Map<Op, number>(OPS.map((o) => [o, 0]));
const failures: string[] = [];

/** One sprocket command of a loop, counted; resolves to stdout (empty when it failed). */
async function op(name: Op, args: string[]): Promise<string> {
  const r = await runCommand(process.execPath, [CLI, ...args]);
  done.set(name, done.get(name)! + 1);
  if (r.code === 0) return r.stdout;
  if (/in use by another sprocket command/.test(r.stderr)) conflicts.set(name, conflicts.get(name)! + 1);
  else if (name === 'rm' && r.stderr.includes(`no pod ${args.at(-1)}`)) collected.set(name, collected.get(name)! + 1);
  else failures.push(`${name} (sprocket ${args.join(' ')}) exited ${r.code}: ${r.stderr.trim().split('\n').slice(0, 3).join(' / ')}`);
  return '';
}

async function loop(i: number, deadline: number, aci: string): Promise<void> {
  while (Date.now() < deadline) {
    const uuid = (await op('run', ['run', '-d', BENCH_IMAGE, '--exec', '/bin/sleep', '--', '600'])).trim();
    if (uuid) {
      await op('stop', ['stop', uuid]);
      await op('rm', ['rm', uuid]);
    }
    await op('gc', ['gc', '--grace-period=0s']);
    const id = (await op('image import', ['image', 'import', aci])).trim();
    if (id) await op('image rm', ['image', 'rm', id]);
    void i;
  }
}

async function sprocketOk(args: string[]): Promise<string> {
  const r = await runCommand(process.execPath, [CLI, ...args]);
  if (r.code !== 0) throw new Error(`sprocket ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function soak(): Promise<void> {
  // An image of each loop's own: the bench image renamed, so that loops do not import and remove the same one.
  await sprocketOk(['image', 'export', BENCH_IMAGE, '/tmp/soak-base.aci']);
  const acis = [];
  for (let i = 0; i < loops; i++) {
    await sprocketOk(['image', 'patch-manifest', '--name', `example.com/soak-${i}`, '--overwrite', '/tmp/soak-base.aci', `/tmp/soak-${i}.aci`]);
    acis.push(`/tmp/soak-${i}.aci`);
  }
  const started = Date.now();
  await Promise.all(acis.map((aci, i) => loop(i, started + duration * 1000, aci)));
  const seconds = (Date.now() - started) / 1000;

  const broken: string[] = [];
  const list = await runCommand(process.execPath, [CLI, 'list', '--format', 'json']);
  if (list.code !== 0) broken.push(`list exited ${list.code}: a pod is not explained: ${list.stderr.trim()}`);
  const running = (JSON.parse(list.stdout || '[]') as { uuid: string; state: string }[]).filter((p) => p.state === 'running').map((p) => p.uuid);
  if (running.length) broken.push(`pods still running after every loop stopped its own: ${running.join(', ')}`);
  if (running.length) await sprocketOk(['stop', '--force', ...running]);
  await sprocketOk(['gc', '--grace-period=0s', '--expire-prepared=0s']);
  await sprocketOk(['image', 'gc', '--grace-period=24h']);
  broken.push(...(await leftovers({ dir: DIR, inHost: DIR, run: async (a) => (await runCommand(a[0]!, a.slice(1))).stdout })));
  const verify = await runCommand(process.execPath, [CLI, 'image', 'verify']);
  if (verify.code !== 0) broken.push(`image verify exited ${verify.code}: ${verify.stderr.trim()}`);

  console.log(`soak: ${loops} parallel loops of run -d, stop, rm, gc, image import, image rm for ${seconds.toFixed(0)} s`);
  console.log(table([['operation', 'done', 'refused: pod in use', "gone: another loop's gc", 'failed'], ...OPS.map((o) => [o, done.get(o)!, conflicts.get(o)!, collected.get(o)!, failures.filter((f) => f.startsWith(`${o} (`)).length])]));
  console.log(`operations: ${[...done.values()].reduce((a, b) => a + b, 0)}, failures: ${failures.length}, broken invariants: ${broken.length}`);
  console.log(load());
  for (const f of failures.slice(0, 20)) console.error(`failure: ${f}`);
  for (const b of broken) console.error(`invariant broken: ${b}`);
  process.exitCode = failures.length || broken.length ? 1 : 0;
}

if (INSIDE) await soak();
else await runInHost(import.meta.url, argv);
