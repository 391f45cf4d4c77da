// Types into a program that runs on a terminal, once it is ready for input,
// for e2e tests inside a test host:
//   node dist/test/host/terminal-session.js PROMPT_REGEX LINES_JSON CMD...
// runs CMD under script(1) (which gives it a terminal), passes its output
// through, and types LINES once the output matches PROMPT_REGEX (what was
// typed before the program reads its terminal would be lost or echoed
// twice). Exits with CMD's status; after 60 s without an end, kills it and
// exits 124, as timeout(1).
import { spawn } from 'node:child_process';

const [prompt, lines, ...cmd] = process.argv.slice(2);
if (!prompt || !lines || !cmd.length) throw new Error('usage: terminal-session PROMPT_REGEX LINES_JSON CMD...');
const ready = new RegExp(prompt);
const input = (JSON.parse(lines) as string[]).map((l) => `${l}\n`).join('');
const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
const child = spawn('script', ['-qec', cmd.map(quote).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
let seen = '';
let typed = false;
child.stdout.on('data', (d: Buffer) => {
  process.stdout.write(d);
  if (typed) return;
  seen += d.toString('utf8');
  if (ready.test(seen)) {
    typed = true;
    child.stdin.write(input);
  }
});
const limit = setTimeout(() => {
  child.kill('SIGKILL');
  process.exit(124);
}, 60_000);
child.on('close', (code) => {
  clearTimeout(limit);
  process.exit(code ?? 1);
});
