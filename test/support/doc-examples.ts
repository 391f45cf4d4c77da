// The shell examples of README.md and docs/*.md, read as tests (docs/testing.md,
// "Doc examples"). Each fenced shell block carries a marker, an HTML comment
// on the line before it, that says whether the block runs (in which test host,
// in which order) or why it is only shown; what a command's trailing comment
// or an output block says it prints is compared with what it prints.
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Fence languages that are shell examples: each needs a marker. */
export const SHELL_LANGUAGES = new Set(['sh', 'shell', 'bash', 'console']);
const DEFAULT_TIMEOUT_S = 120;

export type Marker =
  | { kind: 'run'; host: string; order: number; timeoutSeconds: number; setup: string }
  | { kind: 'shown'; reason: string }
  | { kind: 'output' };

export interface DocBlock {
  /** Path relative to the checkout, like docs/pods.md. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  text: string;
  marker?: Marker;
  /** Why the marker before this block could not be read. */
  markerError?: string;
  /** For a run block: the output block that follows it. */
  output?: DocBlock;
}

export interface Expectation {
  /** Exit status the command must have (0 unless `# exits N`). */
  exit: number;
  /** A line the command must print (`# prints: TEXT`). */
  prints?: string;
}

export interface DocCommand {
  text: string;
  /** 1-based line in the document. */
  line: number;
  expect: Expectation;
}

/** README.md, then docs/*.md in name order: the order of blocks across files. */
export function docFiles(root: string): string[] {
  const docs = readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort();
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/;

export function readBlocks(root: string): DocBlock[] {
  return docFiles(root).flatMap((file) => parseBlocks(file, readFileSync(path.join(root, file), 'utf8')));
}

/** The fenced blocks of one Markdown document, with their markers. */
export function parseBlocks(file: string, markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const trimmed = lines[j].trim();
      if (trimmed.startsWith(fence) && /^(`+|~+)$/.test(trimmed) && trimmed[0] === fence[0]) break;
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
    }
    const block: DocBlock = { file, line: i + 1, lang, text: body.join('\n') };
    Object.assign(block, readMarker(lines, i));
    blocks.push(block);
    i = j;
  }
  linkOutputs(blocks);
  return blocks;
}

function linkOutputs(blocks: DocBlock[]): void {
  blocks.forEach((b, k) => {
    if (b.marker?.kind !== 'output') return;
    const prev = blocks[k - 1];
    if (prev?.marker?.kind === 'run') prev.output = b;
    else b.markerError = 'an output block must follow a "doc-test: run" block';
  });
}

/** The doc-test comment that ends on the line before line `fence`, if any. */
function readMarker(lines: string[], fence: number): { marker?: Marker; markerError?: string } {
  const last = fence - 1;
  if (last < 0 || !lines[last].trim().endsWith('-->')) return {};
  let first = last;
  while (first >= 0 && !lines[first].includes('<!--')) first--;
  if (first < 0) return {};
  const comment = lines.slice(first, last + 1).join('\n').trim();
  const m = /^<!--\s*doc-test:\s*([\s\S]*?)\s*-->$/.exec(comment);
  if (!m) return {};
  try {
    return { marker: parseMarker(m[1]) };
  } catch (e) {
    return { markerError: (e as Error).message };
  }
}

/** `run host=NAME [order=N] [timeout=SECONDS]` (further lines: hidden set-up commands), `shown: REASON`, `output`. */
export function parseMarker(text: string): Marker {
  const [head, ...rest] = text.split('\n');
  const shown = /^shown:\s*(.*)$/.exec(head.trim());
  if (shown) {
    if (shown[1].trim().split(/\s+/).length < 2) throw new Error('"doc-test: shown:" needs a reason (why the block cannot run in a test host)');
    return { kind: 'shown', reason: shown[1].trim() };
  }
  if (head.trim() === 'output' && rest.length === 0) return { kind: 'output' };
  const [kind, ...args] = head.trim().split(/\s+/);
  if (kind !== 'run') throw new Error(`unknown doc-test marker "${head.trim()}" (run, shown: REASON or output)`);
  const attrs = new Map<string, string>();
  for (const a of args) {
    const kv = /^(host|order|timeout)=(\S+)$/.exec(a);
    if (!kv) throw new Error(`doc-test run: unknown attribute "${a}" (host=NAME, order=N, timeout=SECONDS)`);
    attrs.set(kv[1], kv[2]);
  }
  const host = attrs.get('host');
  if (!host || !/^[a-z][a-z0-9-]{0,20}$/.test(host)) throw new Error('doc-test run: host=NAME is required (lower-case letters, digits, -; at most 21)');
  const order = Number(attrs.get('order') ?? 0);
  const timeoutSeconds = Number(attrs.get('timeout') ?? DEFAULT_TIMEOUT_S);
  if (!Number.isInteger(order)) throw new Error('doc-test run: order=N needs an integer');
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) throw new Error('doc-test run: timeout=SECONDS needs a positive integer');
  return { kind: 'run', host, order, timeoutSeconds, setup: rest.join('\n').trim() };
}

/** Run blocks grouped by test host, each group in run order: order=, then README/docs order, then line. */
export function hostGroups(root: string, blocks: DocBlock[]): Map<string, DocBlock[]> {
  const files = docFiles(root);
  const runs = blocks.filter((b) => b.marker?.kind === 'run');
  const key = (b: DocBlock) => [(b.marker as { order: number }).order, files.indexOf(b.file), b.line];
  runs.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  const groups = new Map<string, DocBlock[]>();
  for (const b of runs) {
    const host = (b.marker as { host: string }).host;
    groups.set(host, [...(groups.get(host) ?? []), b]);
  }
  return groups;
}

/** Whether bash reads `text` as complete commands (no open quote, heredoc, loop or trailing backslash). */
function complete(text: string): boolean {
  if (/\\$/.test(text)) return false;
  const r = spawnSync('bash', ['-n', '-c', text], { encoding: 'utf8' });
  return r.status === 0 && r.stderr === '';
}

/** The block's commands as bash reads them (a command may span lines), each with what it is expected to do. */
export function splitCommands(block: DocBlock): DocCommand[] {
  const lines = block.text.split('\n');
  const commands: DocCommand[] = [];
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const text = lines.slice(start, i + 1).join('\n');
    if (!complete(text)) continue;
    if (text.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('#'))) {
      commands.push({ text, line: block.line + 1 + start, expect: expectation(commentsOf(text)) });
    }
    start = i + 1;
  }
  if (start < lines.length && lines.slice(start).some((l) => l.trim() !== '')) {
    throw new Error(`${block.file}:${block.line + 1 + start}: the command is not complete for bash (quote, heredoc or loop left open)`);
  }
  return commands;
}

/** Shell comments of a command (not inside quotes, not in a heredoc body). */
export function commentsOf(command: string): string[] {
  const comments: string[] = [];
  let quote = '';
  for (const line of command.split('\n')) {
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (c === quote) quote = '';
        else if (c === '\\' && quote === '"') i++;
      } else if (c === '\\') i++;
      else if (c === "'" || c === '"') quote = c;
      else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
        comments.push(line.slice(i + 1).trim());
        break;
      }
    }
    if (!quote && /<<-?\s*['"]?\w+/.test(line)) break;
  }
  return comments;
}

/** `# exits N` and `# prints: TEXT` in a command's comments. */
export function expectation(comments: string[]): Expectation {
  const expect: Expectation = { exit: 0 };
  for (const c of comments) {
    const exit = /(?:^|[\s,;(])exits (\d+)\b/.exec(c);
    if (exit) expect.exit = Number(exit[1]);
    const prints = /\bprints: (.*)$/.exec(c);
    if (prints) expect.prints = prints[1].trim();
  }
  return expect;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const TIME = '\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?(?:Z|[+-]\\d{2}:?\\d{2}| [A-Z]{3,4})?';
const TOKENS: [RegExp, (m: string) => string][] = [
  [/^\.\.\./, () => '.*?'],
  [/^<[a-z][a-z0-9 _-]*>/, () => '\\S+'],
  [new RegExp(`^${UUID}`), () => UUID],
  [/^sha512-[0-9a-f]+(?:\.\.\.)?/, () => 'sha512-[0-9a-f]+'],
  [new RegExp(`^${TIME}`), () => TIME],
  [/^\s+/, () => '\\s+'],
];

/**
 * One line of expected output as a pattern: `...` is any text, `<word>` any
 * one word, and a UUID, an image ID (sha512-..., possibly shortened) or a
 * time in the docs stands for any other; runs of spaces for any spacing.
 */
export function linePattern(expected: string): RegExp {
  let src = '';
  let rest = expected.trim();
  while (rest) {
    const hit = TOKENS.map(([re, to]) => [re.exec(rest)?.[0], to] as const).find(([m]) => m);
    if (hit) {
      src += hit[1](hit[0] as string);
      rest = rest.slice((hit[0] as string).length);
    } else {
      src += rest[0].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      rest = rest.slice(1);
    }
  }
  return new RegExp(`^\\s*${src}\\s*$`);
}

/** Does some line of `output` match `expected`? */
export function printsLine(expected: string, output: string): boolean {
  const re = linePattern(expected);
  return cleanLines(output).some((l) => re.test(l));
}

/**
 * Does `output` match an output block line for line? A line `...` alone
 * stands for any number of lines. Leading and trailing blank lines do not count.
 */
export function matchesBlock(block: string, output: string): boolean {
  const want = trimBlank(block.split('\n'));
  const got = trimBlank(cleanLines(output));
  const memo = new Map<string, boolean>();
  const at = (w: number, g: number): boolean => {
    const k = `${w},${g}`;
    if (memo.has(k)) return memo.get(k) as boolean;
    let ok: boolean;
    if (w === want.length) ok = g === got.length;
    else if (want[w].trim() === '...') ok = at(w + 1, g) || (g < got.length && at(w, g + 1));
    else ok = g < got.length && linePattern(want[w]).test(got[g]) && at(w + 1, g + 1);
    memo.set(k, ok);
    return ok;
  };
  return at(0, 0);
}

function cleanLines(output: string): string[] {
  // eslint-disable-next-line no-control-regex
  return output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '').split('\n');
}

function trimBlank(lines: string[]): string[] {
  let [a, b] = [0, lines.length];
  while (a < b && lines[a].trim() === '') a++;
  while (b > a && lines[b - 1].trim() === '') b--;
  return lines.slice(a, b);
}

const BEGIN = '@@doc-test:begin';
const END = '@@doc-test:end';

/**
 * One bash script for a run block: its hidden set-up, then each command
 * between markers that carry its index and exit status (stderr joins stdout,
 * as on a terminal).
 */
export function blockScript(workdir: string, setup: string, commands: DocCommand[]): string {
  const parts = ['exec 2>&1', `mkdir -p ${workdir} && cd ${workdir} || exit 1`];
  const wrap = (i: number, text: string) =>
    parts.push(`printf '\\n%s %d\\n' '${BEGIN}' ${i}`, text, `printf '\\n%s %d %d\\n' '${END}' ${i} "$?"`);
  if (setup) wrap(-1, setup);
  commands.forEach((c, i) => wrap(i, c.text));
  return parts.join('\n') + '\n';
}

export interface CommandRun {
  output: string;
  /** undefined when the script ended before the command did. */
  exit?: number;
}

/** What each command of blockScript() printed, by index (-1: the set-up). */
export function splitRuns(output: string): Map<number, CommandRun> {
  const runs = new Map<number, CommandRun>();
  const re = new RegExp(`^${BEGIN} (-?\\d+)\\n([\\s\\S]*?)(?:\\n${END} \\1 (\\d+)$|$(?![\\s\\S]))`, 'gm');
  for (const m of output.matchAll(re)) {
    runs.set(Number(m[1]), { output: m[2], exit: m[3] === undefined ? undefined : Number(m[3]) });
  }
  return runs;
}
