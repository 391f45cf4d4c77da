import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageManifest } from '../../../src/spec/index.js';
import { SprocketError } from '../../../src/errors.js';

const BASE = '"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x"';
const APP = (ports: string) => `{${BASE},"app":{"exec":["/bin/sh"],"user":"0","group":"0","ports":[{"name":"http","protocol":"tcp","port":${ports}}]}}`;
const fails = (text: string, field: string | undefined, message: RegExp) =>
  assert.throws(() => parseImageManifest(text, 'm.json'), (e) => e instanceof SprocketError && e.file === 'm.json' && e.field === field && message.test(e.message));

test('null for an optional member is absent, as actool reads it', () => {
  const m = parseImageManifest(`{${BASE},"labels":null,"app":{"exec":["/bin/sh"],"user":"0","group":"0","environment":null}}`, 'm.json');
  assert.equal('labels' in m, false);
  assert.equal('environment' in m.app!, false);
  fails(`{"acKind":"ImageManifest","acVersion":"0.8.11","name":null}`, 'name', /is required/);
});

test('integers written with a fraction or an exponent are refused, naming the path', () => {
  fails(APP('80.0'), 'app.ports[0].port', /^80\.0 is not written as an integer/);
  fails(APP('8e1'), 'app.ports[0].port', /^8e1 is not/);
  assert.equal(parseImageManifest(APP('80'), 'm.json').app!.ports![0]!.port, 80);
});

test('a key twice in one object is refused, at any depth', () => {
  fails(`{${BASE},"name":"example.com/y"}`, 'name', /^key "name" appears twice in one object$/);
  fails(`{${BASE},"app":{"exec":["/bin/sh"],"user":"0","user":"1","group":"0"}}`, 'app.user', /twice/);
  // The same key in two objects is fine; so are strings holding quotes and escapes.
  assert.equal(parseImageManifest(`{${BASE},"labels":[{"name":"a","value":"x\\"}"},{"name":"b","value":"x"}]}`, 'm.json').labels!.length, 2);
});

test('version parts beyond 64 bits are refused, as actool does', () => {
  fails(`{"acKind":"ImageManifest","acVersion":"0.8.9223372036854775808","name":"example.com/x"}`, 'acVersion', /beyond 9223372036854775807/);
  assert.equal(parseImageManifest(`{"acKind":"ImageManifest","acVersion":"0.8.9223372036854775807","name":"example.com/x"}`, 'm.json').acVersion, '0.8.9223372036854775807');
});
