// Advisory locks with flock(2), taken through util-linux flock(1) on a file
// descriptor this process holds: the kernel drops the lock when the process
// dies, even by kill -9, so a crashed command never leaves a pod locked.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { SprocketError } from '../errors.js';

export interface Lock {
  release(): Promise<void>;
}

/** flock(1)'s exit code when -n finds the lock taken (chosen with -E). */
const BUSY = 75;

/**
 * Locks `file` (created if missing) exclusively. With `wait: false`, returns
 * undefined at once when another process holds it.
 */
export async function lockFile(file: string, opts: { wait: boolean; shared?: boolean }): Promise<Lock | undefined> {
  const handle = await fs.open(file, 'a');
  const args = [opts.shared ? '-s' : '-x', ...(opts.wait ? [] : ['-n', '-E', String(BUSY)]), '3'];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('flock', args, { stdio: ['ignore', 'ignore', 'inherit', handle.fd] });
    child.on('error', reject);
    child.on('close', resolve);
  }).catch(async (e) => {
    await handle.close();
    throw new SprocketError('io', `cannot run flock: ${(e as Error).message}`, { file, hint: 'install util-linux' }, { cause: e });
  });
  if (code === 0) return { release: () => handle.close() };
  await handle.close();
  if (code === BUSY) return undefined;
  throw new SprocketError('io', `flock exited with ${code}`, { file });
}

/** Runs `fn` holding the lock on `file`, waiting for it. */
export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = (await lockFile(file, { wait: true }))!;
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
