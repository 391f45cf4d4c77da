import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseImageManifest, parsePodManifest, missingForRun } from '../../../src/spec/index.js';
import { SprocketError } from '../../../src/errors.js';
import { appcExample } from '../../support/fixtures.js';

const example = (name: string) => readFileSync(appcExample(name));

test('image.json parses, keeps its fields and values, adds the default port count', () => {
  const text = example('image.json');
  const expected = JSON.parse(text.toString());
  expected.app.ports[0].count = 1;
  assert.deepEqual(parseImageManifest(text, 'image.json'), expected);
});

test('pod_runtime.json parses and can run', () => {
  const m = parsePodManifest(example('pod_runtime.json'), 'pod_runtime.json');
  assert.equal(m.apps.length, 3);
  assert.deepEqual(m.volumes?.[1], { name: 'buildoutput', kind: 'empty', mode: '0777', uid: 0, gid: 0 });
  assert.deepEqual(missingForRun(m), []);
});

test('pod_template.json parses, and misses the image IDs of two apps', () => {
  const m = parsePodManifest(example('pod_template.json'), 'pod_template.json');
  assert.deepEqual(missingForRun(m), ['apps[1].image.id: missing image ID', 'apps[2].image.id: missing image ID']);
});

test('supplementaryGids is read and kept as supplementaryGIDs', () => {
  const image = JSON.parse(example('image.json').toString());
  image.app.supplementaryGids = [400, 500];
  const m = parseImageManifest(JSON.stringify(image), 'image.json');
  assert.deepEqual(m.app?.supplementaryGIDs, [400, 500]);
  assert.equal('supplementaryGids' in m.app!, false);
});

test('text that is not JSON, and JSON that is not an object, name the file', () => {
  assert.throws(() => parseImageManifest('{', 'broken.json'), (e) => e instanceof SprocketError && e.file === 'broken.json' && /^not valid JSON: /.test(e.message) && e.field === undefined);
  assert.throws(() => parsePodManifest('[]', 'list.json'), (e) => e instanceof SprocketError && e.file === 'list.json' && e.message === 'expected object, got an array' && e.field === undefined);
});
