// Advisory locks with flock(2) (src/flock.ts) on a descriptor this process
// holds: the kernel drops the lock when the descriptor is closed or the
// process dies, even by kill -9, so a crashed command never leaves a pod
// locked.
import { constants } from 'node:os';
import { closeSync, openSync } from 'node:fs';
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
  // Opened and closed synchronously, as flock(2) is tried: no trip through libuv's thread pool unless the lock must be waited for.
  const fd = openSync(file, 'a');
  const shared = opts.shared ?? false;
  let error: number;
  try {
    error = flock().tryLock(fd, shared);
    if (error === constants.errno.EWOULDBLOCK && opts.wait) error = await flock().lock(fd, shared);
  } catch (e) {
    closeSync(fd);
    throw new SprocketError('io', `cannot lock: ${(e as Error).message}`, { file }, { cause: e });
  }
  if (error === 0) {
    // Released once: a second release must not close a descriptor that reused the number.
    let open = true;
    return {
      release: async () => {
        if (open) closeSync(fd);
        open = false;
      },
    };
  }
  closeSync(fd);
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
