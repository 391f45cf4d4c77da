// The one place where errors become messages and exit codes.
import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { EXIT_FAILURE, EXIT_USAGE, SprocketError } from '../errors.js';

/** Exit code when stdout's reader has gone (`| head`): 128+SIGPIPE, as a shell reports coreutils and podman killed by it. */
export const EXIT_CLOSED_STDOUT = 141;

// A failed write marks stdout at once; its 'error' event comes later, after help's exit.
const stdoutClosed = () => (process.stdout.errored as NodeJS.ErrnoException | null)?.code === 'EPIPE';

export function reportAndExit(err: unknown): never {
  if (err instanceof CommanderError) {
    // commander has already printed its message.
    process.exit(err.exitCode !== 0 ? EXIT_USAGE : stdoutClosed() ? EXIT_CLOSED_STDOUT : 0);
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

/**
 * Runs the CLI: main.ts and the start-up snapshot's main. A closed pipe on
 * stdout ends every command quietly, as it ends coreutils (node ignores
 * SIGPIPE, so the write fails with EPIPE instead of killing the process).
 */
export function runCli(program: Command): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? process.exit(EXIT_CLOSED_STDOUT) : reportAndExit(err)));
  program.parseAsync(process.argv).catch(reportAndExit);
}
