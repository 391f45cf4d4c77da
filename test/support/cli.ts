// Runs the built sprocket CLI as a child process, as an operator would.
import { fileURLToPath } from 'node:url';
import { runCommand, type CommandOptions, type CommandResult } from './command.js';

export const SPROCKET = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export type CliResult = CommandResult;

export function runSprocket(args: string[], opts: CommandOptions = {}): Promise<CliResult> {
  return runCommand(process.execPath, [SPROCKET, ...args], opts);
}
