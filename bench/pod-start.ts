// Pod start (issues 3, 5, 9 and 12): `sprocket run -d` (through the package's
// launcher, as /usr/bin/sprocket runs it) of a 1-app and of a 2-app
// pod on the host's network, and of a 2-app pod on the default network (CNI),
// until every app's first line is in the journal, beside `node -e 0` (what
// node's own start-up costs) and the floors
// (systemd-nspawn --boot of a minimal systemd root to its first unit's line;
// nspawn --as-pid2 to its command's line) and podman (`podman run --rm` to
// exited; a pod of 2 containers from `pod create` to both exited). All in
// one test host, interleaved round by round (the order rotates), after one
// warm-up round that is not counted. Cleanup is outside the timed part.
// Run: npm run build && bench/pod-start [--n 15]
import { load, median, ms, p90, ratio, table, flags } from './lib/stats.js';
import { INSIDE, runInHost } from './lib/in-host.js';
import { JournalWatch, nowMs } from './lib/journal-watch.js';
import { removeFloorRoots, startBootFloor, startPid2Floor } from './lib/floor.js';
import { mainStartMs, unitGone } from './lib/unit.js';
import { idleApps, podUnit, removePods, runIdlePod } from './lib/sprocket-pods.js';
import { runCommand } from '../test/support/command.js';
import { PODMAN_IMAGE, podman, setUpPodman } from './lib/podman.js';

const argv = process.argv.slice(2);
const { n } = flags(argv, { n: 15 });

interface Variant {
  name: string;
  /** Starts one instance; resolves to [ms until done, cleanup]. */
  once(tag: string): Promise<[number, () => Promise<unknown>]>;
}

async function measure(): Promise<void> {
  const watch = await JournalWatch.start();
  const floor = (name: string, start: (tag: string, line: string) => Promise<string>): Variant => ({
    name,
    async once(tag) {
      const line = `bench-${tag}`;
      const t0 = nowMs();
      const unit = await start(tag, line);
      return [(await watch.at(line)) - t0, () => unitGone(unit)];
    },
  });
  /** Parts of the sprocket variants' start: [CLI returned, pod unit's nspawn started, nspawn start to the last line]. */
  const parts = new Map<string, number[][]>();
  const pod = (apps: number, net = 'host', podFlags: string[] = []): Variant => ({
    name: `sprocket run -d, ${apps} app${apps > 1 ? 's' : ''}${net === 'host' ? '' : `, --net=${net}`}${podFlags.map((f) => `, ${f}`).join('')}`,
    async once(tag) {
      const list = idleApps(apps, tag);
      const t0 = nowMs();
      const uuid = await runIdlePod(list, undefined, net, [], podFlags);
      const back = nowMs() - t0;
      const last = Math.max(...(await Promise.all(list.map((a) => watch.at(a.line)))));
      const nspawn = await mainStartMs(await podUnit(uuid));
      if (!tag.startsWith('warm')) parts.set(this.name, [...(parts.get(this.name) ?? []), [back, nspawn - t0, last - nspawn]]);
      return [last - t0, () => removePods([uuid])];
    },
  });
  const variants: Variant[] = [
    floor('nspawn --boot (floor)', startBootFloor),
    {
      name: 'node -e 0',
      async once() {
        const t0 = nowMs();
        await runCommand(process.execPath, ['-e', '0']);
        return [nowMs() - t0, async () => undefined];
      },
    },
    floor('nspawn --as-pid2', startPid2Floor),
    pod(1),
    pod(2),
    // The network of its own that a pod gets by default: namespace, CNI ADD (bridge, host-local, portmap), teardown at its end.
    pod(2, 'default'),
    // The same pods in a user namespace of their own (docs/isolators.md): the target is at most 5% slower than without.
    pod(2, 'host', ['--private-users=yes']),
    pod(2, 'default', ['--private-users=yes']),
  ];
  const skipped = await setUpPodman();
  if (!skipped) {
    variants.push(
      {
        name: 'podman run --rm',
        async once(tag) {
          const t0 = nowMs();
          await podman(['run', '--rm', '--network=host', PODMAN_IMAGE, 'echo', `bench-${tag}`]);
          return [nowMs() - t0, async () => undefined];
        },
      },
      {
        name: 'podman pod, 2 containers',
        async once(tag) {
          const p = `bench-${tag}`;
          const t0 = nowMs();
          await podman(['pod', 'create', '--name', p, '--network=host']);
          for (const c of ['a', 'b']) await podman(['run', '-d', '--pod', p, '--name', `${p}-${c}`, PODMAN_IMAGE, 'echo', `${p}-${c}`]);
          await podman(['wait', `${p}-a`, `${p}-b`]);
          return [nowMs() - t0, () => podman(['pod', 'rm', '--force', p])];
        },
      },
    );
  }
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = -1; round < n; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + Math.max(round, 0)) % variants.length]!;
      const tag = `${round < 0 ? 'warm' : `r${round}`}-${k}`;
      const [elapsed, cleanup] = await v.once(tag);
      await cleanup();
      if (round >= 0) samples.get(v.name)!.push(elapsed);
    }
    await removeFloorRoots();
  }
  watch.stop();

  const floorMedian = median(samples.get(variants[0]!.name)!);
  const rows: (string | number)[][] = [['', 'median ms', 'p90 ms', 'median / floor', 'CLI returned', 'nspawn started', 'nspawn to lines']];
  for (const v of variants) {
    const s = samples.get(v.name)!;
    const part = (i: number) => (parts.has(v.name) ? ms(median(parts.get(v.name)!.map((p) => p[i]!))) : '');
    rows.push([v.name, ms(median(s)), ms(p90(s)), ratio(median(s), floorMedian), part(0), part(1), part(2)]);
  }
  console.log(`pod start, N=${n} per row, interleaved; until every app's first line is in the journal (podman: until exited)`);
  console.log(table(rows));
  console.log('sprocket rows, medians in ms from the start of `run -d`: when the CLI returned, when the pod unit\'s nspawn was started (systemd\'s ExecMainStartTimestamp), and from then to the last app line');
  const two = median(samples.get(pod(2).name)!);
  console.log(`target: 2-app pod <= 1.0x floor: ${ratio(two, floorMedian)}`);
  if (skipped) console.log(`podman: skipped, ${skipped}`);
  else console.log(`target: 2-app pod <= 0.4x podman pod of 2: ${ratio(two, median(samples.get('podman pod, 2 containers')!))}`);
  const toNspawn = median(parts.get(pod(2).name)!.map((p) => p[1]!)) - median(samples.get('node -e 0')!);
  console.log(`target: run -d (2 apps) reaches nspawn <= 60 ms after node's own start-up: nspawn started - node -e 0 = ${ms(toNspawn)} ms`);
  console.log(load());
}

if (INSIDE) await measure();
else await runInHost(import.meta.url, argv);
