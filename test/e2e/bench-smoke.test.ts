// The benchmarks of bench/ run in CI only as a smoke check: each once, with
// N=1 and small sizes, no thresholds. This proves each still runs to the end
// and prints its table; the figures themselves are not judged here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../support/command.js';

const SMOKE = fileURLToPath(new URL('../../../bench/smoke', import.meta.url));

test('every benchmark runs once (bench/smoke, N=1, no thresholds) and prints its table', async () => {
  const r = await runCommand(SMOKE, []);
  assert.equal(r.code, 0, `bench/smoke failed:\n${r.stdout}\n${r.stderr}`);
  for (const heading of [
    /^pod start, N=1 per row/m,
    /^sprocket run -d, 2 apps +\d+/m,
    /^idle memory, median of N=1/m,
    /^sprocket pod, 1 app +\d/m,
    /^pod start against image size/m,
    /^CLI start-up and state commands/m,
    /^sprocket --version +\d+/m,
    /^density: 3 idle 1-app pods/m,
    // Each pod came up: density stops at the first that does not, and all 3 still run at the end.
    /^running pod units at the end: 3;/m,
    /^soak: 2 parallel loops/m,
    /^operations: [1-9]\d*, failures: 0, broken invariants: 0$/m,
    /^sprocket image import: +\d+ ms/m,
    /^pod\/uuid +\d/m,
  ]) {
    assert.match(r.stdout, heading);
  }
});
