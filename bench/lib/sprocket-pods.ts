// sprocket pods as the benchmarks start them, inside the test host: apps of
// the busybox image that print one line each and then sleep (idle).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { podDeviceLines } from '../../stage1-nspawn/devices.js';
import { CHECKOUT } from '../../test/support/host.js';
import { runCommand } from '../../test/support/command.js';
import { BENCH_IMAGE } from './in-host.js';

/**
 * Runs the CLI as the package does, through its launcher (from its start-up
 * snapshot, docs/performance.md); resolves to stdout, rejects unless it exits 0.
 */
export async function sprocket(args: string[]): Promise<string> {
  const r = await runCommand(await launcher(), args);
  if (r.code !== 0) throw new Error(`sprocket ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** An app that prints `line` (once it runs) and then sleeps. */
export interface IdleApp {
  name: string;
  line: string;
}

/** run's words for a pod of idle apps. */
const idleArgs = (apps: IdleApp[], image: string, appFlags: string[] = []) => apps.flatMap((a, i) => [
  ...(i > 0 ? ['---'] : []),
  image, '--name', a.name, ...appFlags, '--exec', '/bin/sh', '--', '-c', `echo ${a.line}; exec sleep 100000`,
]);

/**
 * `sprocket run -d` of one pod of idle apps on network `net` (default: the
 * host's, as podman's rows beside it); resolves to its UUID once the CLI returns.
 */
export async function runIdlePod(apps: IdleApp[], image = BENCH_IMAGE, net = 'host', appFlags: string[] = [], podFlags: string[] = []): Promise<string> {
  return (await sprocket(['run', '-d', `--net=${net}`, ...podFlags, ...idleArgs(apps, image, appFlags)])).trim();
}

let written: Promise<string> | undefined;
/**
 * The package's launcher (packaging/sprocket.sh) with this checkout in place
 * of /usr/lib/sprocket/app and its dist/snapshot/ (the start-up snapshot
 * npm run build made for this node) in place of /var/cache/sprocket:
 * /usr/bin/sprocket of the package, and what execs an inline pod's nspawn.
 * Written once.
 */
export function launcher(): Promise<string> {
  return (written ??= (async () => {
    const file = '/run/bench-sprocket-launcher';
    const text = (await readFile(path.join(CHECKOUT, 'packaging/sprocket.sh'), 'utf8'))
      .replace('app=/usr/lib/sprocket/app', `app=${CHECKOUT}`)
      .replace('snapshots=/var/cache/sprocket', `snapshots=${path.join(CHECKOUT, 'dist/snapshot')}`);
    await writeFile(file, text, { mode: 0o755 });
    return file;
  })());
}

/**
 * An inline pod of idle apps (docs/units.md) as the main process of
 * transient service `unit` (systemd-run: Type=notify, Delegate=yes, the
 * pod's device policy, which run --unit-mode=inline requires; returns once
 * the pod is ready); resolves to its UUID.
 */
export async function runInlinePod(apps: IdleApp[], unit: string, image = BENCH_IMAGE): Promise<string> {
  const r = await runCommand('systemd-run', [
    '-q', `--unit=${unit}`, '-p', 'Type=notify', '-p', 'Delegate=yes', '-p', 'KillMode=mixed', ...podDeviceLines().flatMap((line) => ['-p', line]), '--', await launcher(), 'run', '--unit-mode=inline', ...idleArgs(apps, image),
  ]);
  if (r.code !== 0) throw new Error(`inline pod ${unit} did not start (exit ${r.code}):\n${r.stderr}`);
  const pods = JSON.parse(await sprocket(['list', '--format', 'json'])) as { uuid: string; unit: string; state: string }[];
  const pod = pods.find((p) => p.unit === unit && p.state === 'running');
  if (!pod) throw new Error(`no running pod of ${unit}`);
  return pod.uuid;
}

/** Stops an inline pod's service and removes the pod (not timed). */
export async function removeInlinePod(unit: string, uuid: string): Promise<void> {
  await runCommand('systemctl', ['stop', unit]);
  await sprocket(['rm', uuid]);
}

/** Apps a, b, c ... of a pod whose lines carry `tag`. */
export const idleApps = (count: number, tag: string): IdleApp[] =>
  Array.from({ length: count }, (_, i) => ({ name: `app${i}`, line: `bench-${tag}-app${i}` }));

/** Stops and removes pods (not timed). */
export async function removePods(uuids: string[]): Promise<void> {
  for (const uuid of uuids) {
    await sprocket(['stop', uuid]);
    await sprocket(['rm', uuid]);
  }
}

/** The host unit of a pod (sprocket status --format json). */
export async function podUnit(uuid: string): Promise<string> {
  return (JSON.parse(await sprocket(['status', '--format', 'json', uuid])) as { unit: string }).unit;
}
