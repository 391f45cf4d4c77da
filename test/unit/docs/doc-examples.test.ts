// The doc-example convention (docs/testing.md, "Doc examples"): every fenced
// shell block of README.md and docs/*.md says whether it runs or why it is only
// shown, so a doc written without a marker fails here, in the unit tests,
// before the e2e runner (test/e2e/doc-examples.test.ts) ever sees it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHECKOUT } from '../../support/host.js';
import {
  SHELL_LANGUAGES, blockScript, commentsOf, expectation, linePattern, matchesBlock, parseBlocks, parseMarker,
  printsLine, readBlocks, splitCommands, splitRuns,
} from '../../support/doc-examples.js';

describe('the shell blocks of README.md and docs/*.md', () => {
  const blocks = readBlocks(CHECKOUT);

  it('each carry a doc-test marker that reads', () => {
    const bad = blocks
      .filter((b) => SHELL_LANGUAGES.has(b.lang) || b.marker || b.markerError)
      .filter((b) => b.markerError || !b.marker || (SHELL_LANGUAGES.has(b.lang) && b.marker.kind === 'output'))
      .map((b) => `${b.file}:${b.line}: ${b.markerError ?? 'a shell block needs <!-- doc-test: run host=NAME --> or <!-- doc-test: shown: REASON --> on the line before it (docs/testing.md, "Doc examples")'}`);
    assert.deepEqual(bad, []);
  });

  it('that run split into complete commands', () => {
    for (const b of blocks.filter((x) => x.marker?.kind === 'run')) {
      assert.ok(splitCommands(b).length > 0, `${b.file}:${b.line}: a run block without a command`);
    }
  });
});

describe('doc-test markers', () => {
  it('read run, shown and output, with a hidden set-up after the first line', () => {
    assert.deepEqual(parseMarker('run host=pods order=2 timeout=30\nmkdir x\n'), {
      kind: 'run', host: 'pods', order: 2, timeoutSeconds: 30, setup: 'mkdir x',
    });
    assert.deepEqual(parseMarker('shown: needs a real registry'), { kind: 'shown', reason: 'needs a real registry' });
    assert.deepEqual(parseMarker('output'), { kind: 'output' });
  });

  it('refuse a run without host, an unknown attribute, a shown without reason', () => {
    assert.throws(() => parseMarker('run'), /host=NAME is required/);
    assert.throws(() => parseMarker('run host=a hosts=b'), /unknown attribute "hosts=b"/);
    assert.throws(() => parseMarker('shown:'), /needs a reason/);
    assert.throws(() => parseMarker('skip'), /unknown doc-test marker/);
  });

  it('are found on the line before the fence; an output block must follow a run block', () => {
    const md = [
      '<!-- doc-test: run host=a -->', '```sh', 'echo hi', '```',
      '<!-- doc-test: output -->', '```', 'hi', '```',
      '```sh', 'echo unmarked', '```',
      '<!-- doc-test: output -->', '```', 'x', '```',
      '- in a list:', '  <!-- doc-test: shown: needs a TTY here -->', '  ```sh', '  sprocket run --interactive x', '  ```',
    ].join('\n');
    const [run, out, unmarked, orphan, listed] = parseBlocks('x.md', md);
    assert.equal(run.marker?.kind, 'run');
    assert.equal(run.output, out);
    assert.equal(unmarked.marker, undefined);
    assert.match(orphan.markerError ?? '', /must follow/);
    assert.deepEqual([listed.marker?.kind, listed.text], ['shown', 'sprocket run --interactive x']);
  });
});

describe('doc-test commands', () => {
  const block = (text: string) => ({ file: 'x.md', line: 10, lang: 'sh', text });

  it('span continuation lines, heredocs and loops; comment lines are not commands', () => {
    const cmds = splitCommands(block([
      '# a comment', 'cat > f <<\'JSON\'  # prints: nothing', '{"a": "# not a comment"}', 'JSON',
      'for a in 1 2; do', '  echo $a', 'done', 'sprocket run -d x \\', '   y   # exits 254, prints: sprocket: ... failed',
    ].join('\n')));
    assert.deepEqual(cmds.map((c) => [c.line, c.expect]), [
      [12, { exit: 0, prints: 'nothing' }],
      [15, { exit: 0 }],
      [18, { exit: 254, prints: 'sprocket: ... failed' }],
    ]);
  });

  it('refuse a block that bash cannot finish', () => {
    assert.throws(() => splitCommands(block("echo 'open")), /x.md:11: the command is not complete/);
  });

  it('take comments outside quotes only', () => {
    assert.deepEqual(commentsOf(`echo '#x' "a # b" \\# c # real`), ['real']);
    assert.deepEqual(expectation(['the image ID']), { exit: 0 });
  });

  it('run between markers that give each its output and exit status', async () => {
    const cmds = splitCommands(block('echo one\nfalse\necho two; exit 3\necho never'));
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('bash', ['-c', blockScript('/tmp', 'echo set-up', cmds)], { encoding: 'utf8' });
    const runs = splitRuns(r.stdout);
    assert.deepEqual([...runs.entries()], [
      [-1, { output: 'set-up\n', exit: 0 }],
      [0, { output: 'one\n', exit: 0 }],
      [1, { output: '', exit: 1 }],
      [2, { output: 'two\n', exit: undefined }],
    ]);
  });
});

describe('documented output', () => {
  it('matches UUIDs, image IDs, times, <placeholders> and ... for what varies, and nothing else', () => {
    assert.match('busybox.aci: valid ACI sha512-0a1b2c3d (example.com/busybox)', linePattern('busybox.aci: valid ACI sha512-... (example.com/busybox)'));
    assert.match('pod 2f1e0d9c-1111-4222-8333-444455556666 at 2026-12-03 10:11:12 UTC', linePattern('pod 00000000-0000-4000-8000-000000000000 at 2025-01-01 00:00:00 UTC'));
    assert.match('sprocket-ab12.service  running', linePattern('sprocket-<uuid>.service running'));
    assert.doesNotMatch('busybox.aci: invalid', linePattern('busybox.aci: valid ...'));
    assert.doesNotMatch('x (y)', linePattern('x [y]'));
    assert.ok(printsLine('hello', 'Welcome\nhello\n'));
    assert.ok(!printsLine('hello', 'hello world\n'));
  });

  it('blocks match line for line, ... alone for any lines', () => {
    assert.ok(matchesBlock('\nID   NAME\n...\nend\n', 'ID NAME\na\nb\nend\n'));
    assert.ok(matchesBlock('a\n...\n', 'a\n'));
    assert.ok(!matchesBlock('a\nb\n', 'a\nb\nc\n'));
    assert.ok(!matchesBlock('a\nb\n', 'b\na\n'));
  });
});
