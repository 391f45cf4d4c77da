// Idle memory (issues 5 and 12): PSS, RSS and USS of every process of one
// idle pod (apps running `sleep`), for pods of 1 and of 10 apps, a 1-app
// pod with a health check (issue 13) and an inline pod of 1 app (the main process of a service, docs/units.md),
// beside the floor (nspawn --boot of test/host/tiny-pod: nspawn and its
// systemd, without its app) and podman (a container, a pod of 1 and of 10
// containers: their processes, conmons and the pod's infra container), and
// the machine's MemAvailable drop per pod over --pods pods started
// together. A pod's processes are those of its host unit's cgroup (nspawn,
// the pod's systemd, the apps).
// Run: npm run build && bench/idle-memory [--n 5] [--pods 10]
import fs from 'node:fs/promises';
import { runCommand } from '../test/support/command.js';
import { INSIDE, runInHost } from './lib/in-host.js';
import { JournalWatch } from './lib/journal-watch.js';
import { FLOOR_APP_CGROUP, removeFloorRoots, startBootFloor } from './lib/floor.js';
import { cgroupPids, meminfo, memoryOf, type Memory } from './lib/memory.js';
import { PODMAN_IMAGE, containerPids, podman, setUpPodman } from './lib/podman.js';
import { idleApps, podUnit, removeInlinePod, removePods, runIdlePod, runInlinePod } from './lib/sprocket-pods.js';
import { flags, load, median, mib, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const { n, pods } = flags(argv, { n: 5, pods: 10 });
const SETTLE_MS = 2000;
// A health check at podman's default interval (docs/pods.md): a timer of the pod's systemd; its first check runs at the app's start.
const HEALTH_FLAGS = ['--health-cmd', 'true'];
const HEALTH_ROW = 'sprocket pod, 1 app with a health check (every 30 s)';
const FLOOR = 'floor: nspawn --boot + its systemd';
const OWN_STAGE1 = "1-app pod's own nspawn + systemd";
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

const unitCgroup = async (unit: string) => (await runCommand('systemctl', ['show', '--property=ControlGroup', '--value', unit])).stdout.trim();
const unitPids = async (unit: string) => cgroupPids(await unitCgroup(unit));

/** Those of `pids` that run one of `exes`. */
async function running(pids: number[], exes: string[]): Promise<number[]> {
  const found = await Promise.all(pids.map((pid) => fs.readlink(`/proc/${pid}/exe`).catch(() => '')));
  return pids.filter((_, i) => exes.includes(found[i]!));
}
/** How many of `pids` run Node.js (none should stay for an idle pod). */
const nodeProcesses = async (pids: number[]) => (await running(pids, [process.execPath])).length;
/** A pod's stage1 processes: nspawn and the pod's systemd. */
const STAGE1_EXES = ['/usr/bin/systemd-nspawn', '/usr/lib/systemd/systemd'];

/** The floor: nspawn --boot of tiny-pod and its systemd, idle, without its app's processes; resolves to their PIDs and a cleanup. */
async function floorIdle(watch: JournalWatch, tag: string): Promise<[number[], () => Promise<unknown>]> {
  const line = `bench-floor-${tag}`;
  const unit = await startBootFloor(tag, line, true);
  await watch.at(line);
  await settle();
  const cgroup = await unitCgroup(unit);
  const app = new Set(await cgroupPids(`${cgroup}/${FLOOR_APP_CGROUP}`));
  return [(await cgroupPids(cgroup)).filter((pid) => !app.has(pid)), () => runCommand('systemctl', ['stop', unit])];
}

/** Starts a sprocket pod of `apps` idle apps, waits until every app printed and the pod settled. */
async function idlePod(watch: JournalWatch, apps: number, tag: string, appFlags: string[] = []): Promise<string> {
  const list = idleApps(apps, tag);
  const uuid = await runIdlePod(list, undefined, 'host', appFlags);
  await Promise.all(list.map((a) => watch.at(a.line)));
  return uuid;
}

/** A podman pod of `containers` sleeping containers (0: a lone container); resolves to all its PIDs and a cleanup. */
async function podmanIdle(containers: number, tag: string): Promise<[() => Promise<number[]>, () => Promise<unknown>]> {
  const name = `bench-${tag}`;
  if (containers === 0) {
    await podman(['run', '-d', '--network=host', '--name', name, PODMAN_IMAGE, 'sleep', '100000']);
    return [() => containerPids(name), () => podman(['rm', '--force', '--time=0', name])];
  }
  await podman(['pod', 'create', '--name', name, '--network=host']);
  const names = Array.from({ length: containers }, (_, i) => `${name}-${i}`);
  for (const c of names) await podman(['run', '-d', '--pod', name, '--name', c, PODMAN_IMAGE, 'sleep', '100000']);
  const infra = (await podman(['pod', 'inspect', '--format', '{{.InfraContainerID}}', name])).trim();
  return [
    async () => (await Promise.all([infra, ...names].map(containerPids))).flat(),
    () => podman(['pod', 'rm', '--force', '--time=0', name]),
  ];
}

/** PSS, RSS and USS of `pids` by command (its first two words), largest PSS first. */
async function processTable(pids: number[]): Promise<string> {
  const groups = new Map<string, Memory>();
  for (const pid of pids) {
    const comm = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').slice(0, 2).join(' ').slice(0, 45);
    const [a, b] = [groups.get(comm), await memoryOf([pid])];
    groups.set(comm, a ? { rss: a.rss + b.rss, pss: a.pss + b.pss, uss: a.uss + b.uss, processes: a.processes + b.processes } : b);
  }
  const rows: (string | number)[][] = [['process', 'count', 'PSS MiB', 'RSS MiB', 'USS MiB']];
  for (const [comm, m] of [...groups].sort((x, y) => y[1].pss - x[1].pss)) rows.push([comm, m.processes, mib(m.pss), mib(m.rss), mib(m.uss)]);
  return table(rows);
}

async function measure(): Promise<void> {
  const watch = await JournalWatch.start();
  const skipped = await setUpPodman();
  const samples = new Map<string, Memory[]>();
  // The processes of these rows, from the first round: what the targets compare.
  const profiles = new Map<string, string>([[FLOOR, ''], ['sprocket pod, 1 app', ''], ['sprocket pod, 10 apps', ''], ['podman pod, 10 containers', '']]);
  const add = async (name: string, pids: number[], round: number) => {
    samples.set(name, [...(samples.get(name) ?? []), await memoryOf(pids)]);
    if (round === 0 && profiles.has(name)) profiles.set(name, await processTable(pids));
  };
  let resident = 0;
  for (let round = 0; round < n; round++) {
    {
      const [pids, cleanup] = await floorIdle(watch, `r${round}`);
      await add(FLOOR, pids, round);
      await cleanup();
    }
    for (const [apps, name, appFlags] of [[1, 'sprocket pod, 1 app', []], [10, 'sprocket pod, 10 apps', []], [1, HEALTH_ROW, HEALTH_FLAGS]] as const) {
      const uuid = await idlePod(watch, apps, `r${round}-${apps}${appFlags.length ? '-health' : ''}`, [...appFlags]);
      await settle();
      const pids = await unitPids(await podUnit(uuid));
      await add(name, pids, round);
      if (name === 'sprocket pod, 1 app') await add(OWN_STAGE1, await running(pids, STAGE1_EXES), round);
      resident += await nodeProcesses(pids);
      await removePods([uuid]);
    }
    {
      // The pod as the main process of a service (docs/units.md): no Node.js stays.
      const unit = `bench-inline-r${round}.service`;
      const apps = idleApps(1, `r${round}-inline`);
      const uuid = await runInlinePod(apps, unit);
      await Promise.all(apps.map((a) => watch.at(a.line)));
      await settle();
      const pids = await unitPids(unit);
      await add('sprocket inline pod, 1 app (run --unit-mode=inline)', pids, round);
      resident += await nodeProcesses(pids);
      await removeInlinePod(unit, uuid);
    }
    if (skipped) continue;
    for (const containers of [0, 1, 10]) {
      const [pids, cleanup] = await podmanIdle(containers, `r${round}-${containers}`);
      await settle();
      await add(containers === 0 ? 'podman container' : `podman pod, ${containers} container${containers > 1 ? 's' : ''}`, await pids(), round);
      await cleanup();
    }
  }

  // The machine's view: MemAvailable and the host journal's size before and after `pods` idle pods.
  const journal = async () => {
    const du = await runCommand('du', ['-sb', '/run/log/journal', '/var/log/journal']);
    return du.stdout.split('\n').reduce((sum, l) => sum + (Number(l.split('\t')[0]) || 0), 0);
  };
  await settle();
  const [availBefore, journalBefore] = [await meminfo('MemAvailable'), await journal()];
  const started: string[] = [];
  for (let i = 0; i < pods; i++) started.push(await idlePod(watch, 1, `drop-${i}`));
  await settle();
  const [availAfter, journalAfter] = [await meminfo('MemAvailable'), await journal()];
  const podJournals = (await runCommand('find', ['/var/lib/sprocket/pods', '-name', '*.journal'])).stdout.split('\n').filter(Boolean).length;
  await removePods(started);
  watch.stop();
  await removeFloorRoots();

  const rows: (string | number)[][] = [['', 'PSS MiB', 'RSS MiB', 'USS MiB', 'processes']];
  for (const [name, ms] of samples) {
    const med = (f: (m: Memory) => number) => mib(median(ms.map(f)));
    rows.push([name, med((m) => m.pss), med((m) => m.rss), med((m) => m.uss), median(ms.map((m) => m.processes))]);
  }
  console.log(`idle memory, median of N=${n} per row (each measured ${SETTLE_MS / 1000} s after every app printed its line)`);
  console.log(table(rows));
  const pss = (name: string) => median(samples.get(name)!.map((m) => m.pss));
  const [one, ten, floor] = [pss('sprocket pod, 1 app'), pss('sprocket pod, 10 apps'), pss(FLOOR)];
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x (${mib(a)} / ${mib(b)} MiB)`;
  if (!skipped) console.log(`target: 10-app pod <= 0.6x podman pod of 10 containers: ${ratio(ten, pss('podman pod, 10 containers'))}`);
  console.log(`target: each extra app <= 0.1 MiB PSS: ${mib((ten - one) / 9)} MiB`);
  console.log(`target: 1-app pod <= 1.5x the floor: ${ratio(one, floor)}; against its own nspawn + systemd: ${ratio(one, pss(OWN_STAGE1))}`);
  const processes = (name: string) => median(samples.get(name)!.map((m) => m.processes));
  console.log(`target: a health check leaves nothing resident between checks: ${processes(HEALTH_ROW) - processes('sprocket pod, 1 app')} more processes, ${mib(pss(HEALTH_ROW) - one)} MiB more PSS (the pod's systemd's units)`);
  console.log(`target: no Node.js process resident for an idle pod (detached and inline, every round): ${resident} found`);
  console.log(`machine: MemAvailable drop per idle 1-app pod over ${pods} pods: ${mib((availBefore - availAfter) / pods)} MiB (other load on the machine counts too)`);
  console.log(`journal: ${podJournals} journal files inside the pods (no journald per pod); host journal grew ${mib((journalAfter - journalBefore) / pods)} MiB per pod`);
  if (skipped) console.log(`podman: skipped, ${skipped}`);
  for (const [name, text] of profiles) if (text) console.log(`processes of ${name} (round 1):\n${text}`);
  console.log(load());
}

if (INSIDE) await measure();
else await runInHost(import.meta.url, argv);
