// The store's lock: one exclusive flock(2) on DIR/images/lock, held by a
// util-linux `flock` child process (Node has no flock). The kernel drops the
// lock when that child exits, and the child exits when our end of its stdin
// closes, which also happens when this process dies: no stale lock is ever
// left behind, so there is nothing to detect or break.
import { spawn } from 'node:child_process';
import { SprocketError } from '../errors.js';

export async function withLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  const child = spawn('flock', ['--exclusive', lockFile, '--command', 'echo locked && exec cat'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new SprocketError('io', `cannot run flock: ${e.message}`, { file: lockFile })));
    child.stdout.once('data', () => resolve());
    exited.then((code) => reject(new SprocketError('io', `cannot lock the store: ${stderr.trim() || `flock exited with ${code}`}`, { file: lockFile })));
  });
  try {
    return await fn();
  } finally {
    child.stdin.end();
    await exited;
  }
}
