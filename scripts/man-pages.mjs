#!/usr/bin/env node
// Writes the man pages of sprocket into DIR: sprocket.1 and one page per
// command (sprocket-run.1, sprocket-image-build.1 ...), each made from the
// commander definition of the command, its --help text as it is: the pages
// cannot drift from the program. Run by packaging/install-tree (dist/ built).
//
//   node scripts/man-pages.mjs DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { helpText, outputArg, program, version } from './commands.mjs';

const dir = outputArg('man-pages.mjs DIR');

// roff: a backslash is \e; a line that starts with . or ' would be a request.
const roff = (s) => s.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1');

function page(cmd, names) {
  const title = names.join('-');
  const sub = cmd.commands.filter((c) => !c._hidden).map((c) => `${title}-${c.name()}(1)`);
  return [
    `.TH ${title.toUpperCase()} 1 "" "sprocket ${version}" "sprocket manual"`,
    '.SH NAME',
    `${title} \\- ${roff(cmd.description())}`,
    '.SH SYNOPSIS',
    `.B ${names.join(' ')}`,
    roff(cmd.usage()),
    '.SH DESCRIPTION',
    'The text of',
    `.BR "${names.join(' ')} --help" :`,
    '.PP',
    '.nf',
    roff(helpText(cmd).replace(/\n+$/, '')),
    '.fi',
    '.SH SEE ALSO',
    [...(names.length > 1 ? ['sprocket(1)'] : []), ...sub].join(', ') + (sub.length || names.length > 1 ? ',' : ''),
    '/usr/share/doc/sprocket/README.md and docs/ beside it.',
    '',
  ].join('\n');
}

mkdirSync(dir, { recursive: true });
const walk = (cmd, names) => {
  writeFileSync(path.join(dir, `${names.join('-')}.1`), page(cmd, names));
  for (const c of cmd.commands) walk(c, [...names, c.name()]);
};
walk(program, ['sprocket']);
