// sprocket pods as the benchmarks start them, inside the test host: apps of
// the busybox image that print one line each and then sleep (idle).
import { CLI } from '../../test/support/pods.js';
import { runCommand } from '../../test/support/command.js';
import { BENCH_IMAGE } from './in-host.js';

/** Runs the CLI; resolves to stdout, rejects unless it exits 0. */
export async function sprocket(args: string[]): Promise<string> {
  const r = await runCommand(process.execPath, [CLI, ...args]);
  if (r.code !== 0) throw new Error(`sprocket ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** An app that prints `line` (once it runs) and then sleeps. */
export interface IdleApp {
  name: string;
  line: string;
}

/** `sprocket run -d` of one pod of idle apps; resolves to its UUID once the CLI returns. */
export async function runIdlePod(apps: IdleApp[], image = BENCH_IMAGE): Promise<string> {
  const args = apps.flatMap((a, i) => [
    ...(i > 0 ? ['---'] : []),
    image, '--name', a.name, '--exec', '/bin/sh', '--', '-c', `echo ${a.line}; exec sleep 100000`,
  ]);
  return (await sprocket(['run', '-d', ...args])).trim();
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
