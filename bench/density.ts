// Density (issue 5): --count idle 1-app pods started one after another on
// this machine, each until its app's first line is in the journal: start
// time as the count grows, and memory per pod (PSS of all pods' processes,
// and the machine's MemAvailable drop). The pods are left running until the
// test host powers off (that is the cleanup).
// Run: npm run build && bench/density [--count 200]
// A pod that does not come up ends the run with exit 1 and why.
import fs from 'node:fs/promises';
import { runCommand } from '../test/support/command.js';
import { INSIDE, runInHost } from './lib/in-host.js';
import { JournalWatch, nowMs } from './lib/journal-watch.js';
import { cgroupPids, meminfo, memoryOf } from './lib/memory.js';
import { idleApps, podUnit, runIdlePod } from './lib/sprocket-pods.js';
import { failureOutcome } from './lib/pod-failure.js';
import { flags, load, median, mib, ms, p90, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const { count } = flags(argv, { count: 200 });

/** What is known about a pod that did not come up, and the machine's inotify instances (a pod's systemd takes some; root may hold 128). */
async function whyNot(uuid: string): Promise<string> {
  const inotify = (await runCommand('sh', ['-c', 'find /proc/[0-9]*/fd -lname "anon_inode:inotify" 2>/dev/null | wc -l'])).stdout.trim();
  const limit = (await fs.readFile('/proc/sys/fs/inotify/max_user_instances', 'utf8')).trim();
  const unit = uuid ? await podUnit(uuid).catch(() => '') : '';
  const systemctl = unit ? await runCommand('systemctl', ['status', '--no-pager', '--lines=0', unit]) : undefined;
  const journal = unit ? await runCommand('journalctl', ['--no-pager', '--lines=20', `--unit=${unit}`]) : undefined;
  const status = systemctl && journal ? `${systemctl.stdout}${systemctl.stderr}${journal.stdout}` : '(no pod unit)';
  return `inotify instances in use on the machine: ${inotify} (max_user_instances ${limit})\n${status}`;
}

async function measure(): Promise<void> {
  const watch = await JournalWatch.start();
  const checkpoints = [...new Set([1, 10, 25, 50, 100, 150, 200, 300, 400, 500].filter((c) => c < count).concat(count))];
  const rows: (string | number)[][] = [['pods', 'start median ms', 'start p90 ms', 'PSS per pod MiB', 'MemAvailable drop per pod MiB', 'Slab growth per pod MiB', 'load']];
  const [availBefore, slabBefore] = [await meminfo('MemAvailable'), await meminfo('Slab')];
  let times: number[] = [];
  const every: number[] = [];
  let stopped = '';
  for (let i = 1; i <= count; i++) {
    const apps = idleApps(1, `density-${i}`);
    const t0 = nowMs();
    let uuid = '';
    try {
      uuid = await runIdlePod(apps);
      times.push((await watch.at(apps[0]!.line, 30_000)) - t0);
      every.push(times.at(-1)!);
    } catch (e) {
      stopped = `stopped at pod ${i}: ${(e as Error).message}\n${await whyNot(uuid)}`;
      break;
    }
    if (!checkpoints.includes(i)) continue;
    const pss = (await memoryOf(await cgroupPids('/machine.slice'))).pss;
    const first = rows.length === 1 ? 1 : Number(String(rows.at(-1)![0]).split('-')[1]) + 1;
    rows.push([`${first}-${i}`, ms(median(times)), ms(p90(times)), mib(pss / i), mib((availBefore - (await meminfo('MemAvailable'))) / i), mib(((await meminfo('Slab')) - slabBefore) / i), load().split(' ')[1]!]);
    times = [];
  }
  watch.stop();
  const units = (await runCommand('systemctl', ['list-units', '--no-legend', '--state=running', 'sprocket-????????-*.service'])).stdout.split('\n').filter(Boolean).length;
  console.log(`density: ${count} idle 1-app pods started one after another; start = run -d until the app's first journal line`);
  console.log(table(rows));
  console.log(`running pod units at the end: ${units}; PSS counts every process under machine.slice; MemAvailable is the machine's (other load counts too)`);
  if (every.length > 1) {
    // One start is noisy on a loaded machine: the last 10 against the first 10 too.
    const [first, last] = [every[0]!, every.at(-1)!];
    const tens = median(every.slice(-10)) / median(every.slice(0, 10));
    console.log(`target: start of pod ${every.length} <= 1.5x the first's: ${(last / first).toFixed(2)}x (${ms(last)} / ${ms(first)} ms); median of the last 10 / of the first 10: ${tens.toFixed(2)}x`);
  }
  console.log(load());
  const outcome = failureOutcome('density', stopped);
  if (outcome.text) console.error(outcome.text);
  process.exitCode = outcome.exitCode;
}

if (INSIDE) await measure();
else await runInHost(import.meta.url, argv);
