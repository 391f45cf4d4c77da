// Advisory locks with flock(2) (src/flock.ts) on a descriptor this process
// holds: the kernel drops the lock when the descriptor is closed or the
// process dies, even by kill -9, so a crashed command never leaves a pod
// locked.
import { constants } from 'node:os';
import fs from 'node:fs/promises';
import { SprocketError } from '../errors.js';
import { flock } from '../flock.js';

export interface Lock {
  release(): Promise<void>;
}

/**
 * Locks `file` (created if missing) exclusively, or shared. With
 * `wait: false`, returns undefined at once when another process holds it.
 */
export async function lockFile(file: string, opts: { wait: boolean; shared?: boolean }): Promise<Lock | undefined> {
  const handle = await fs.open(file, 'a');
  const shared = opts.shared ?? false;
  let error: number;
  try {
    error = flock().tryLock(handle.fd, shared);
    if (error === constants.errno.EWOULDBLOCK && opts.wait) error = await flock().lock(handle.fd, shared);
  } catch (e) {
    await handle.close();
    throw new SprocketError('io', `cannot lock: ${(e as Error).message}`, { file }, { cause: e });
  }
  if (error === 0) return { release: () => handle.close() };
  await handle.close();
  if (error === constants.errno.EWOULDBLOCK) return undefined;
  throw new SprocketError('io', `cannot lock: ${errnoName(error)}`, { file });
}

const errnoName = (n: number) => Object.entries(constants.errno).find(([, v]) => v === n)?.[0] ?? `errno ${n}`;

/** Runs `fn` holding the lock on `file`, waiting for it. */
export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = (await lockFile(file, { wait: true }))!;
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
