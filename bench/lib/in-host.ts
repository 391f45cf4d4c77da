// Every benchmark runs inside one test host (test/host/sprocket-host): the
// benchmark file boots a host, fetches the busybox image into it, runs
// itself again inside the host (SPROCKET_BENCH_INSIDE=1) with the same
// flags, streams what it prints, and takes the host down, also on Ctrl-C.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bootHost, HOST_SCRIPT } from '../../test/support/host.js';
import { busyboxImage } from '../../test/support/pods.js';

/** True in the copy of a benchmark that runs inside the test host. */
export const INSIDE = process.env.SPROCKET_BENCH_INSIDE === '1';
/** The busybox image (test/support/pods.ts) every benchmark pod runs. */
export const BENCH_IMAGE = 'example.com/bench-busybox';

/** Boots a host named after the benchmark and runs `script` (import.meta.url) inside it with `argv`. */
export async function runInHost(script: string, argv: string[]): Promise<void> {
  const base = `bench-${fileURLToPath(script).replace(/^.*\//, '').replace(/\.js$/, '')}`;
  const host = await bootHost(base);
  const interrupted = () => {
    void host.down().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await busyboxImage(host, BENCH_IMAGE);
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(HOST_SCRIPT, ['exec', host.name, '--setenv=SPROCKET_BENCH_INSIDE=1', '--', process.execPath, fileURLToPath(script), ...argv], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('close', resolve);
    });
    process.exitCode = code ?? 1;
  } finally {
    await host.down();
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
}
