// sprocket and appc's reference validator, actool (Debian's appc-spec,
// installed by scripts/setup), read the same tricky manifests the same way,
// except where docs/spec.md says sprocket follows the spec's text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifest } from '../../../src/spec/index.js';

const CORPUS = fileURLToPath(new URL('../../../../test/fixtures/tricky-manifests/', import.meta.url));

/** Files where sprocket refuses what actool accepts, and why (docs/spec.md, "JSON"). */
const STRICTER: Record<string, string> = {
  'dup-name.json': 'a key twice in one object: Go keeps the last, another reader the first',
  'pod-dup-apps.json': 'a key twice in one object',
  'null-in-exec.json': 'null in a list of strings: Go reads it as "", the spec says strings',
};

const actoolAccepts = (file: string) => {
  const r = spawnSync('actool', ['validate', file], { encoding: 'utf8' });
  assert.equal(r.error, undefined, 'actool must be installed (scripts/setup: the appc-spec package)');
  return r.status === 0;
};
const sprocketAccepts = (file: string) => {
  try {
    parseManifest(readFileSync(file), file);
    return true;
  } catch {
    return false;
  }
};

test('sprocket agrees with actool on every tricky manifest, but where it is stricter on purpose', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 15, `${files.length} manifests`);
  const verdicts = files.map((f) => {
    const file = path.join(CORPUS, f);
    return { f, actool: actoolAccepts(file), sprocket: sprocketAccepts(file) };
  });
  const disagree = verdicts.filter((v) => v.actool !== v.sprocket).map((v) => `${v.f}: actool ${v.actool ? 'accepts' : 'refuses'}, sprocket ${v.sprocket ? 'accepts' : 'refuses'}`);
  assert.deepEqual(disagree, Object.keys(STRICTER).sort().map((f) => `${f}: actool accepts, sprocket refuses`));
});
