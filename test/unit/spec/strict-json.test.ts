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

test('a key twice in one object is the last one given, as actool reads it; each value given must be valid', () => {
  assert.equal(parseImageManifest(`{${BASE},"name":"example.com/y"}`, 'm.json').name, 'example.com/y');
  assert.equal(parseImageManifest(`{${BASE},"app":{"exec":["/bin/sh"],"user":"0","user":"1","group":"0"}}`, 'm.json').app!.user, '1');
  // Go decodes every value given: one that is not valid is an error even when a later one replaces it.
  fails(`{"acKind":"ImageManifest","acVersion":"0.8.11","name":"Bad","name":"example.com/y"}`, 'name', /"Bad" is not an AC identifier/);
  // Strings holding quotes and escapes are read as strings.
  assert.equal(parseImageManifest(`{${BASE},"labels":[{"name":"a","value":"x\\"}"},{"name":"b","value":"x"}]}`, 'm.json').labels!.length, 2);
});

test('a key names its field whatever its case, as Go reads it; the last of them wins', () => {
  // actool refuses this one: "Name" is the image name, and it is not an AC identifier.
  fails(`{${BASE},"Name":"Example.com/X"}`, 'name', /"Example.com\/X" is not an AC identifier/);
  assert.equal(parseImageManifest(`{"acKind":"ImageManifest","acVersion":"0.8.11","NAME":"example.com/x"}`, 'm.json').name, 'example.com/x');
  // Labels too: {"name":"version","Name":"name"} is a label named "name", which no image may have.
  fails(`{${BASE},"labels":[{"name":"version","value":"1","Name":"name"}]}`, 'labels[0].name', /"name" cannot be a label/);
  // Unicode folds the long s into s, as Go does; map keys (userLabels) match exactly.
  assert.deepEqual(parseImageManifest(`{${BASE},"app":{"exec":["/x"],"u\u017fer":"7","group":"0","userLabels":{"K":"1","k":"2"}}}`, 'm.json').app, { exec: ['/x'], user: '7', group: '0', userLabels: { K: '1', k: '2' } });
});

test('null in a list is the element\'s zero value, as Go reads it: "" in a list of strings, no element in a list of objects', () => {
  const m = parseImageManifest(`{${BASE},"labels":[null],"app":{"exec":["/bin/sh",null],"user":"0","group":"0","mountPoints":[null]}}`, 'm.json');
  assert.deepEqual([m.labels, m.app!.exec, m.app!.mountPoints], [[], ['/bin/sh', ''], []]);
  // Where actool refuses a null element (Go's empty value fails its checks there), so does sprocket.
  fails(`{${BASE},"app":{"exec":["/x"],"user":"0","group":"0","environment":[null]}}`, 'app.environment[0]', /expected object, got null/);
});

test('version parts beyond 64 bits are refused, as actool does', () => {
  fails(`{"acKind":"ImageManifest","acVersion":"0.8.9223372036854775808","name":"example.com/x"}`, 'acVersion', /beyond 9223372036854775807/);
  assert.equal(parseImageManifest(`{"acKind":"ImageManifest","acVersion":"0.8.9223372036854775807","name":"example.com/x"}`, 'm.json').acVersion, '0.8.9223372036854775807');
});
