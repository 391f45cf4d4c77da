// The command and option tables of docs/*.md against `sprocket ... --help`:
// a flag a table names must exist, and every flag of a command must be in its
// row (or, for a row that says `[pod flags]` or `...`, in its document).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CHECKOUT } from '../../support/host.js';
import { docFiles } from '../../support/doc-examples.js';
import { runSprocket } from '../../support/cli.js';

interface Row { file: string; line: number; cells: string[] }

/** The rows of every Markdown table of a document, with the header's first cell. */
function tableRows(file: string, text: string): (Row & { header: string })[] {
  const rows: (Row & { header: string })[] = [];
  let header = '';
  text.split('\n').forEach((l, i, all) => {
    if (!l.startsWith('|')) return;
    const cells = l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (!all[i - 1]?.startsWith('|')) header = cells[0].toLowerCase();
    else if (!/^-/.test(cells[0])) rows.push({ file, line: i + 1, cells, header });
  });
  return rows;
}

const FLAG = /(?<![\w-])--?[a-zA-Z][\w-]*/g;
const flagsIn = (text: string) => new Set((text.match(FLAG) ?? []).filter((f) => f !== '-' && !/^-[a-zA-Z]{2,}/.test(f)));

/** A command's flags from its help: each option line's flags (a short flag counts with its long one). */
function helpFlags(help: string): { known: Set<string>; options: string[][] } {
  const options = help.split('\n')
    .filter((l) => /^\s+-/.test(l))
    .flatMap((l) => {
      const alias = /^\s+(-\w), (--[\w-]+)/.exec(l);
      if (alias) return [[alias[1], alias[2]]];
      return [...l.trim().matchAll(/(?:^|, )(--[\w-]+)/g)].map((m) => [m[1]]);
    })
    .filter((names) => !names.includes('--help'));
  return { known: flagsIn(help), options };
}

/** `sprocket image build DIR ...` or, in images.md, `image build ...` → ['image', 'build']. */
function commandOf(cell: string): string[] | undefined {
  const m = /^`(?:sprocket (?=[a-z])|(?=image ))((?:image )?[a-z][a-z-]*)/.exec(cell);
  return m ? m[1].split(' ') : undefined;
}

describe('the flag tables of the docs', () => {
  const help = new Map<string, ReturnType<typeof helpFlags>>();
  const rows = docFiles(CHECKOUT).filter((f) => f.startsWith('docs/'))
    .flatMap((f) => tableRows(f, readFileSync(path.join(CHECKOUT, f), 'utf8')));
  const commandRows = rows.filter((r) => r.header === 'command' && commandOf(r.cells[0]));
  const ask = async (cmd: string[]) => {
    const r = await runSprocket([...cmd, '--help']);
    assert.equal(r.code, 0, `sprocket ${cmd.join(' ')} --help: ${r.stderr}`);
    help.set(cmd.join(' '), helpFlags(r.stdout));
  };
  before(async () => {
    await Promise.all([[], ...new Set(commandRows.map((r) => (commandOf(r.cells[0]) as string[]).join(' ')))]
      .map((c) => ask(typeof c === 'string' ? c.split(' ') : c)));
  });
  const global = () => help.get('') as ReturnType<typeof helpFlags>;

  it('are found (a command table in pods.md and images.md at least)', () => {
    for (const f of ['docs/pods.md', 'docs/images.md']) assert.ok(commandRows.some((r) => r.file === f), f);
  });

  it('name only flags that the command has', () => {
    const unknown = commandRows.flatMap((r) => {
      const h = help.get((commandOf(r.cells[0]) as string[]).join(' ')) as ReturnType<typeof helpFlags>;
      return [...flagsIn(r.cells[0])].filter((f) => !h.known.has(f) && !global().known.has(f))
        .map((f) => `${r.file}:${r.line}: ${f} is not a flag of sprocket ${(commandOf(r.cells[0]) as string[]).join(' ')}`);
    });
    assert.deepEqual(unknown, []);
  });

  it('name every flag of each command in its row', () => {
    const missing = commandRows.flatMap((r) => {
      const cmd = (commandOf(r.cells[0]) as string[]).join(' ');
      const delegated = /\[pod flags\]|\[edits\]| \.\.\.`$/.test(r.cells[0]) && !/\[--[a-z]/.test(r.cells[0]);
      const where = delegated ? readFileSync(path.join(CHECKOUT, r.file), 'utf8') : r.cells.join(' ');
      const said = flagsIn(where);
      return (help.get(cmd) as ReturnType<typeof helpFlags>).options
        .filter((names) => !names.some((n) => said.has(n)))
        .map((names) => `${r.file}:${r.line}: sprocket ${cmd} ${names.join('/')} is not in ${delegated ? 'the document' : 'the row'}`);
    });
    assert.deepEqual(missing, []);
  });

  it('of options and flags name flags that some command has', async () => {
    const cmds = ['run', 'fetch', 'trust', 'metadata-service'];
    await Promise.all(cmds.map((c) => ask([c])));
    const known = new Set([...help.values()].flatMap((h) => [...h.known]));
    const unknown = rows.filter((r) => ['option', 'flag'].includes(r.header))
      .flatMap((r) => [...flagsIn(r.cells[0])].filter((f) => !known.has(f)).map((f) => `${r.file}:${r.line}: ${f}`));
    assert.deepEqual(unknown, []);
  });
});

describe('the flag-table reader', () => {
  it('reads option lines of a help text, a short flag with its long one', () => {
    const h = helpFlags('Options:\n  -d, --detach  x\n  --user USER, --group GROUP name\n  --oom-score-adj N (also --oom-score-adjust)\n  -h, --help  help\n');
    assert.deepEqual(h.options, [['-d', '--detach'], ['--user'], ['--group'], ['--oom-score-adj']]);
    assert.ok(h.known.has('--oom-score-adjust'));
  });

  it('finds the command of a row and the rows of a table', () => {
    assert.deepEqual(commandOf('`sprocket status [--wait] POD`'), ['status']);
    assert.deepEqual(commandOf('`image build DIR OUT.aci`'), ['image', 'build']);
    assert.equal(commandOf('`--insecure-options LIST`'), undefined);
    assert.equal(commandOf('`sprocket --version`'), undefined);
    const rows = tableRows('x.md', '| command | what |\n| --- | --- |\n| `sprocket rm POD` | a \\| b |\n');
    assert.deepEqual(rows.map((r) => [r.line, r.header, r.cells[0]]), [[3, 'command', '`sprocket rm POD`']]);
  });
});
