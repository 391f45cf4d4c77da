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

/** A lock another process holds is tried again after 2 ms, then twice as long each time, up to 50 ms. */
const RETRY_FIRST_MS = 2;
const RETRY_MAX_MS = 50;

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
    // Tried again on a timer: a call blocked in flock(2) would hold one of
    // libuv's four pool threads, and waits in one process could take them
    // all from the file calls of the code that holds a lock.
    for (let delay = RETRY_FIRST_MS; error === constants.errno.EWOULDBLOCK && opts.wait; delay = Math.min(2 * delay, RETRY_MAX_MS)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      error = flock().tryLock(fd, shared);
    }
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
