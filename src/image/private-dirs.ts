// The state directory's images/ and pods/ are root's alone (mode 0700): the
// image trees keep their setuid files (an app may need su or ping) and pods'
// roots hold what their apps wrote, and the mode of these two directories is
// what keeps every other host user from running, reading or opening any of it
// (docs/on-disk-format.md). Made so; repaired, with a warning, when found wider.
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { SprocketError } from '../errors.js';

/** Below the state directory: the image store and the pods. */
export const PRIVATE_DIRS = ['images', 'pods'] as const;

const PRIVATE_MODE = 0o700;

/** Where warnings go: stderr, for the CLI. */
export const warnOnStderr = (message: string) => process.stderr.write(`sprocket: warning: ${message}\n`);

/**
 * Makes `stateDir`'s images/ and pods/ (and the state directory, when it
 * does not exist yet) with mode 0700, and narrows them to 0700 when another
 * user may enter them, saying so. Synchronous: a few calls on the way to
 * every pod's start (docs/performance.md).
 */
export function makePrivateDirs(stateDir: string, warn: (message: string) => void = warnOnStderr): void {
  for (const name of PRIVATE_DIRS) {
    const dir = path.join(stateDir, name);
    try {
      mkdirSync(dir, { recursive: true, mode: PRIVATE_MODE });
      const mode = statSync(dir).mode & 0o7777;
      if ((mode & 0o077) === 0) continue;
      chmodSync(dir, PRIVATE_MODE);
      warn(`${dir} had mode ${mode.toString(8).padStart(4, '0')}, open to other users: made it 0700 (no other user may run the images' setuid files or read the pods' files)`);
    } catch (e) {
      throw new SprocketError('io', `cannot make the private directory: ${(e as Error).message}`, { file: dir }, { cause: e });
    }
  }
}
