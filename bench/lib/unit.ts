// Units of the test host's systemd, as the benchmarks wait for and time them.
import { spawn } from 'node:child_process';
import { runCommand } from '../../test/support/command.js';

/** Waits until `unit` is gone (the floors end by themselves once their line is written). */
export async function unitGone(unit: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await runCommand('systemctl', ['is-active', unit]);
    if (!/^(active|activating|deactivating|reloading)$/m.test(r.stdout)) break;
    if (Date.now() > deadline) {
      spawn('systemctl', ['kill', '--signal=SIGKILL', unit], { stdio: 'ignore' });
      throw new Error(`${unit} still ${r.stdout.trim()} after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await runCommand('systemctl', ['reset-failed', unit]);
}

/** When the unit's main process (a pod's nspawn) was started: monotonic ms, as nowMs(). */
export async function mainStartMs(unit: string): Promise<number> {
  const r = await runCommand('systemctl', ['show', '--property=ExecMainStartTimestampMonotonic', '--value', unit]);
  return Number(r.stdout.trim()) / 1000;
}
