// docker:// references, the names they get, and how whiteouts stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalReference, dockerImageName, parseDockerReference } from '../../../src/image/oci/reference.js';
import { stackedPaths } from '../../../src/image/oci/app-image.js';
import { parseChallenge } from '../../../src/image/oci/registry.js';
import { SprocketError } from '../../../src/errors.js';

test('docker references: default registry and library/, tags, digests, ports', () => {
  const hub = parseDockerReference('docker://busybox');
  assert.equal(canonicalReference(hub), 'registry-1.docker.io/library/busybox:latest');
  assert.equal(dockerImageName(hub), 'registry-1.docker.io/library/busybox');
  const local = parseDockerReference(`docker://127.0.0.1:5000/org/app@sha256:${'a'.repeat(64)}`);
  assert.deepEqual([local.registry, local.repository, local.tag, local.digest], ['127.0.0.1:5000', 'org/app', undefined, `sha256:${'a'.repeat(64)}`]);
  assert.equal(dockerImageName(local), '127.0.0.1-5000/org/app');
  assert.equal(parseDockerReference('docker://localhost/app:v2').tag, 'v2');
  for (const bad of ['docker://UPPER/Case:x', 'docker://app@sha256:short', 'docker://app:bad tag']) {
    assert.throws(() => parseDockerReference(bad), (e: SprocketError) => e.kind === 'usage', bad);
  }
});

test('stacking: a whiteout hides the lower path and what is below it; an opaque directory hides lower contents only', () => {
  const paths = stackedPaths([
    { paths: ['a', 'a/x', 'b', 'b/y', 'c', 'c/z'], whiteouts: [], opaque: [] },
    { paths: ['a', 'a/new', 'c', 'c/z'], whiteouts: ['b'], opaque: ['a'] },
  ]);
  assert.deepEqual(paths, ['/a', '/a/new', '/c', '/c/z']);
  assert.equal(stackedPaths([{ paths: ['a'], whiteouts: [], opaque: [] }]), undefined, 'no whiteouts, no whitelist');
  assert.deepEqual(stackedPaths([{ paths: ['a'], whiteouts: [], opaque: [] }, { paths: [], whiteouts: ['a'], opaque: [] }]), ['/']);
});

test('authentication challenges are parsed as the registry sends them', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' },
  });
  assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
});
