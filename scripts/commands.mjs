// What scripts/man-pages.mjs and scripts/bash-completion.mjs read: the
// commander program of the built CLI (dist/), each command's --help text,
// and their one argument (an output path).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
export const { program } = await import(path.join(root, 'dist/src/cli/program.js'));

/** The one argument of the script, else its usage and exit 64. */
export function outputArg(usage) {
  const [out] = process.argv.slice(2);
  if (!out) {
    console.error(`usage: ${usage}`);
    process.exit(64);
  }
  return out;
}

/** The --help text of a command, as `sprocket ... --help` prints it. */
export function helpText(cmd) {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}
