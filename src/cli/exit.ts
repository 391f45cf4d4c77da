// The one place where errors become messages and exit codes.
import { CommanderError } from 'commander';
import { EXIT_FAILURE, EXIT_USAGE, SprocketError } from '../errors.js';

export function reportAndExit(err: unknown): never {
  if (err instanceof CommanderError) {
    // commander has already printed its message.
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  if (err instanceof SprocketError) {
    process.stderr.write(`sprocket: ${err.describe()}\n`);
    if (process.env.SPROCKET_DEBUG && err.cause) process.stderr.write(`${String((err.cause as Error)?.stack ?? err.cause)}\n`);
    process.exit(err.exitCode);
  }
  const e = err as NodeJS.ErrnoException;
  process.stderr.write(`sprocket: internal error: ${e?.stack ?? String(err)}\n`);
  process.exit(EXIT_FAILURE);
}
