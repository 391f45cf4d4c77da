import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCases, pod } from './cases.js';
import { parsePodManifest, missingForRun } from '../../../src/spec/index.js';

const ID = `sha512-${'b'.repeat(128)}`;
const app = (name: string, extra: object = {}) => ({ name, image: { id: ID }, ...extra });

runCases(parsePodManifest, pod, [
  { rule: 'acKind of the other kind', change: (d) => (d.acKind = 'ImageManifest'), error: 'acKind: this is a ImageManifest, expected PodManifest' },
  // Absent or null apps are none, as actool reads them: a template that lacks what it needs to run (missingForRun).
  { rule: 'apps absent', change: (d) => delete d.apps },
  { rule: 'apps not a list', change: (d) => (d.apps = {}), error: 'apps: expected array, got an object' },
  { rule: 'app names unique', change: (d) => d.apps.push(app('app')), error: 'apps[1].name: duplicate app "app"' },
  { rule: 'app name AC name', change: (d) => (d.apps[0].name = 'my_app'), error: 'apps[0].name: "my_app" is not an AC name (lowercase letters and digits, joined by -)' },
  { rule: 'image id short and upper-case (a prefix of one stored image, as rkt takes it)', change: (d) => (d.apps[0].image.id = 'sha512-ABC') },
  { rule: 'image id', change: (d) => (d.apps[0].image.id = 'sha512-xyz'), error: 'apps[0].image.id: "sha512-xyz" is not an image ID (sha512- followed by hex digits of the digest)' },
  { rule: 'image id empty', change: (d) => (d.apps[0].image.id = 'sha512-'), error: 'apps[0].image.id: "sha512-" is not an image ID (sha512- followed by hex digits of the digest)' },
  { rule: 'image id may be missing in a template', change: (d) => delete d.apps[0].image.id },
  { rule: 'image name', change: (d) => (d.apps[0].image.name = 'example.com/x') },
  { rule: 'image labels', change: (d) => (d.apps[0].image.labels = [{ name: 'os', value: 'windows' }]), error: 'apps[0].image.labels[0].value: "windows" is not a valid os (valid: darwin, freebsd, linux)' },
  { rule: 'app override needs user', change: (d) => (d.apps[0].app = { group: '0' }), error: 'apps[0].app.user: is required' },
  { rule: 'app annotations unique', change: (d) => (d.apps[0].annotations = [{ name: 'a', value: '' }, { name: 'a', value: '' }]), error: 'apps[0].annotations[1].name: duplicate annotation "a"' },
  { rule: 'empty volume', change: (d) => (d.volumes = [{ name: 'scratch', kind: 'empty', mode: '0700', uid: 100, gid: 100 }]) },
  { rule: 'empty volume source', change: (d) => (d.volumes = [{ name: 'v', kind: 'empty', source: '/x' }]), error: 'volumes[0].source: only a volume of kind host may have this' },
  { rule: 'empty volume mode', change: (d) => (d.volumes = [{ name: 'v', kind: 'empty', mode: 'rwx' }]), error: 'volumes[0].mode: "rwx" is not an octal mode (like 0755)' },
  { rule: 'empty volume uid', change: (d) => (d.volumes = [{ name: 'v', kind: 'empty', uid: -1 }]), error: 'volumes[0].uid: a user ID cannot be negative' },
  { rule: 'host volume', change: (d) => (d.volumes = [{ name: 'v', kind: 'host', source: '/srv', readOnly: true, recursive: false }]) },
  { rule: 'host volume relative source', change: (d) => (d.volumes = [{ name: 'v', kind: 'host', source: 'srv' }]), error: 'volumes[0].source: "srv" is not an absolute path' },
  { rule: 'host volume without source', change: (d) => (d.volumes = [{ name: 'v', kind: 'host' }]), error: 'volumes[0].source: is required' },
  { rule: 'host volume mode', change: (d) => (d.volumes = [{ name: 'v', kind: 'host', source: '/srv', mode: '0755' }]), error: 'volumes[0].mode: only a volume of kind empty may have this' },
  { rule: 'host volume gid', change: (d) => (d.volumes = [{ name: 'v', kind: 'host', source: '/srv', gid: 0 }]), error: 'volumes[0].gid: only a volume of kind empty may have this' },
  { rule: 'volume kind', change: (d) => (d.volumes = [{ name: 'v', kind: 'tmpfs' }]), error: 'volumes[0].kind: "tmpfs" is not a volume kind (kinds: empty, host)' },
  { rule: 'volume names unique', change: (d) => (d.volumes = [{ name: 'v', kind: 'empty' }, { name: 'v', kind: 'empty' }]), error: 'volumes[1].name: duplicate volume "v"' },
  { rule: 'mount of a volume', change: (d) => Object.assign(d, { volumes: [{ name: 'v', kind: 'empty' }], apps: [app('a', { mounts: [{ volume: 'v', path: '/v' }] })] }) },
  { rule: 'mount of an appVolume', change: (d) => (d.apps[0].mounts = [{ volume: 'own', path: '/o', appVolume: { name: 'own', kind: 'empty' } }]) },
  // Valid, as actool takes it; the pod does not run (src/pod/plan.ts: runnable.test.ts).
  { rule: 'mount of no volume', change: (d) => (d.apps[0].mounts = [{ volume: 'nope', path: '/v' }]) },
  { rule: 'empty volume mode empty (none, 0755)', change: (d) => (d.volumes = [{ name: 'v', kind: 'empty', mode: '' }]) },
  { rule: 'exposed port', change: (d) => (d.ports = [{ name: 'http', hostPort: 8080, hostIP: '127.0.0.1', podPort: { name: 'http', port: 80, protocol: 'tcp' } }]) },
  { rule: 'exposed port hostPort', change: (d) => (d.ports = [{ name: 'http', hostPort: 70000 }]), error: 'ports[0].hostPort: 70000 is not a port number (0..65535)' },
  { rule: 'exposed port hostPort 0 (valid, not run: runnable.test.ts)', change: (d) => (d.ports = [{ name: 'http', hostPort: 0 }]) },
  { rule: 'exposed port hostIP empty (none)', change: (d) => (d.ports = [{ name: 'http', hostPort: 80, hostIP: '' }]) },
  { rule: 'exposed port hostIP', change: (d) => (d.ports = [{ name: 'http', hostPort: 80, hostIP: '::1' }]), error: 'ports[0].hostIP: "::1" is not an IPv4 address (dotted quad)' },
  { rule: 'pod annotations', change: (d) => (d.annotations = [{ name: 'ip-address', value: '10.1.2.3' }]) },
  { rule: 'userAnnotations', change: (d) => (d.userAnnotations = { 'Free Key': 'v' }) },
  { rule: 'userAnnotations values', change: (d) => (d.userAnnotations = { k: 1 }), error: 'userAnnotations.k: expected string, got number 1' },
  { rule: 'userAnnotations null value (absent, as actool reads it)', change: (d) => (d.userAnnotations = { k: null }) },
]);

test('empty volumes get mode 0755, uid 0 and gid 0; ports count 1', () => {
  const m = parsePodManifest(
    JSON.stringify({ ...pod(), volumes: [{ name: 'v', kind: 'empty' }], ports: [{ name: 'p', hostPort: 1, podPort: { name: 'p', port: 80, protocol: 'tcp' } }] }),
    'p',
  );
  assert.deepEqual(m.volumes, [{ name: 'v', kind: 'empty', mode: '0755', uid: 0, gid: 0 }]);
  assert.equal(m.ports?.[0]?.podPort?.count, 1);
});

test('readings of actool\'s: an empty mode is 0755, an empty hostIP none, an image ID lowercase, null apps none', () => {
  const m = parsePodManifest(JSON.stringify({ ...pod(), volumes: [{ name: 'v', kind: 'empty', mode: '' }], ports: [{ name: 'p', hostPort: 80, hostIP: '' }] }), 'p');
  assert.equal(m.volumes?.[0]?.kind === 'empty' && m.volumes[0].mode, '0755');
  assert.equal(m.ports![0]!.hostIP, undefined);
  assert.equal(parsePodManifest(JSON.stringify({ ...pod(), apps: [{ name: 'a', image: { id: 'sha512-ABC' } }] }), 'p').apps[0]!.image.id, 'sha512-abc');
  assert.deepEqual(parsePodManifest('{"acKind":"PodManifest","acVersion":"0.8.11","apps":null}', 'p').apps, []);
  assert.deepEqual(parsePodManifest('{"acKind":"PodManifest","acVersion":"0.8.11","apps":[null]}', 'p').apps, []);
});

test('missingForRun is empty for a pod that can run, and names a pod without apps', () => {
  assert.deepEqual(missingForRun(parsePodManifest(JSON.stringify(pod()), 'p')), []);
  assert.deepEqual(missingForRun(parsePodManifest(JSON.stringify({ ...pod(), apps: [] }), 'p')), ['apps: a pod needs at least one app']);
});
