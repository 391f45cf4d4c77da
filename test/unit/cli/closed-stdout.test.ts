// A closed pipe on stdout (`sprocket help run | head -2`) ends the command
// quietly with 141 (docs/exit-codes.md), from the bundle and from the
// start-up snapshot alike: the reader's end is closed before the CLI writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CHECKOUT } from '../../support/host.js';

const ENTRY = path.join(CHECKOUT, 'dist/src/cli/main.js');
const BLOB = path.join(CHECKOUT, `dist/snapshot/sprocket-${process.version}.blob`);

/** Runs node with `args`, its stdout a pipe whose reading end is closed at once; exit code and stderr. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

for (const [how, launch] of [['the bundle', [ENTRY]], ['the snapshot', ['--snapshot-blob', BLOB, '--', ENTRY]]] as const) {
  test(`a closed stdout ends a command quietly with 141, from ${how}`, async () => {
    for (const args of [['help', 'run'], ['run', '--help'], ['--dir', '/nonexistent/sprocket', 'list']]) {
      const r = await withClosedStdout([...launch, ...args]);
      assert.deepEqual(r, { code: 141, stderr: '' }, args.join(' '));
    }
  });
}
