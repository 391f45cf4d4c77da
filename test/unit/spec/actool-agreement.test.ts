// sprocket and appc's reference validator, actool (Debian's appc-spec,
// installed by scripts/setup), read the same tricky manifests the same way,
// except where docs/spec.md says sprocket follows the spec's text. One test
// per manifest, so that each reading (test/fixtures/tricky-manifests/README.md)
// fails on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifest } from '../../../src/spec/index.js';

const CORPUS = fileURLToPath(new URL('../../../../test/fixtures/tricky-manifests/', import.meta.url));

/** Files where sprocket refuses what actool accepts, because the spec's text says so (docs/spec.md, "Where the spec wins"). */
const STRICTER: Record<string, string> = {
  'pod-sysctl-twice.json': 'spec/ace.md: only a single os/unix/sysctl isolator per pod',
  'caps-retain-and-remove.json': 'spec/ace.md: the retain set cannot be used in conjunction with the remove set',
  'pod-image-id-not-hex.json': 'spec/types.md: an image ID is the hex encoded digest',
};

const actoolAccepts = (file: string) => {
  const r = spawnSync('actool', ['validate', file], { encoding: 'utf8' });
  assert.equal(r.error, undefined, 'actool must be installed (scripts/setup: the appc-spec package)');
  return r.status === 0;
};
const sprocketProblem = (file: string) => {
  try {
    parseManifest(readFileSync(file), file);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json')).sort();

test('the corpus is there, and every file the stricter list names is in it', () => {
  assert.ok(files.length >= 40, `${files.length} manifests`);
  for (const f of Object.keys(STRICTER)) assert.ok(files.includes(f), f);
});

for (const f of files) {
  const reason = STRICTER[f];
  test(reason ? `${f}: actool accepts, sprocket refuses (${reason})` : `${f}: sprocket and actool agree`, () => {
    const file = path.join(CORPUS, f);
    const actool = actoolAccepts(file);
    const problem = sprocketProblem(file);
    if (reason) assert.deepEqual([actool, problem !== undefined], [true, true], 'stricter on purpose');
    else assert.equal(problem === undefined, actool, `actool ${actool ? 'accepts' : 'refuses'}; sprocket ${problem === undefined ? 'accepts' : `refuses: ${problem}`}`);
  });
}
