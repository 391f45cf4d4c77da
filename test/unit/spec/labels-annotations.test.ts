import { runCases, image } from './cases.js';
import { parseImageManifest } from '../../../src/spec/index.js';

const labels = (...pairs: [string, string][]) => pairs.map(([name, value]) => ({ name, value }));
const annotations = labels;

runCases(parseImageManifest, image, [
  { rule: 'labels linux/amd64', change: (d) => (d.labels = labels(['version', '1.0.0'], ['os', 'linux'], ['arch', 'amd64'])) },
  { rule: 'labels every whitelisted pair', change: (d) => (d.labels = labels(['os', 'darwin'], ['arch', 'x86_64'])) },
  { rule: 'label arch alone is not checked', change: (d) => (d.labels = labels(['arch', 'sparc'])) },
  { rule: 'label arch for os', change: (d) => (d.labels = labels(['os', 'linux'], ['arch', 'sparc'])), error: 'labels[1].value: "sparc" is not a valid arch for os linux (valid: amd64, i386, aarch64, aarch64_be, armv6l, armv7l, armv7b, ppc64, ppc64le, s390x)' },
  { rule: 'label arch of another os', change: (d) => (d.labels = labels(['arch', 'x86_64'], ['os', 'freebsd'])), error: 'labels[0].value: "x86_64" is not a valid arch for os freebsd (valid: amd64, i386, arm)' },
  { rule: 'label os', change: (d) => (d.labels = labels(['os', 'plan9'])), error: 'labels[0].value: "plan9" is not a valid os (valid: darwin, freebsd, linux)' },
  { rule: 'label os named like an Object property', change: (d) => (d.labels = labels(['os', 'constructor'])), error: 'labels[0].value: "constructor" is not a valid os (valid: darwin, freebsd, linux)' },
  { rule: 'label "name"', change: (d) => (d.labels = labels(['name', 'x'])), error: 'labels[0].name: "name" cannot be a label (it is the image name)' },
  { rule: 'labels unique', change: (d) => (d.labels = labels(['os', 'linux'], ['env', 'a'], ['env', 'b'])), error: 'labels[2].name: duplicate label "env"' },
  { rule: 'label name AC identifier', change: (d) => (d.labels = labels(['Env', 'a'])), error: 'labels[0].name: "Env" is not an AC identifier (lowercase letters and digits, joined by - . _ ~ /)' },
  { rule: 'label value string', change: (d) => (d.labels = [{ name: 'env', value: 1 }]), error: 'labels[0].value: expected string, got number 1' },
  { rule: 'annotations well-known', change: (d) => (d.annotations = annotations(['created', '2015-05-18T13:49:28.351729952-04:00'], ['homepage', 'http://example.com'], ['documentation', 'https://example.com/docs'], ['authors', 'anyone'])) },
  { rule: 'annotation named like an Object property', change: (d) => (d.annotations = annotations(['constructor', 'x'], ['tostring', 'y'])) },
  { rule: 'annotations unique', change: (d) => (d.annotations = annotations(['a', '1'], ['a', '2'])), error: 'annotations[1].name: duplicate annotation "a"' },
  { rule: 'annotation created without T', change: (d) => (d.annotations = annotations(['created', '2015-05-18 13:49:28Z'])), error: 'annotations[0].value: "2015-05-18 13:49:28Z" is not an RFC 3339 timestamp (like 2014-10-27T19:32:27Z)' },
  { rule: 'annotation created impossible date', change: (d) => (d.annotations = annotations(['created', '2015-02-30T00:00:00Z'])), error: 'annotations[0].value: "2015-02-30T00:00:00Z" is not an RFC 3339 timestamp (like 2014-10-27T19:32:27Z)' },
  { rule: 'annotation homepage scheme', change: (d) => (d.annotations = annotations(['homepage', 'ftp://example.com'])), error: 'annotations[0].value: "ftp://example.com" is not an http or https URL' },
  { rule: 'annotation documentation URL', change: (d) => (d.annotations = annotations(['documentation', 'docs'])), error: 'annotations[0].value: "docs" is not an http or https URL' },
  { rule: 'annotation name AC identifier', change: (d) => (d.annotations = annotations(['a b', '1'])), error: 'annotations[0].name: "a b" is not an AC identifier (lowercase letters and digits, joined by - . _ ~ /)' },
]);
