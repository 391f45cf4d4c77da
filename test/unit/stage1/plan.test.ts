import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appEnvironment, DEFAULT_PATH, parsePodPlan } from '../../../stage1-nspawn/plan.js';
import { SprocketError } from '../../../src/errors.js';
import { basePlan } from './fixture.js';

test('appEnvironment: default PATH, executor variables, image then flags', () => {
  const env = appEnvironment({
    app: 'web',
    image: [{ name: 'A', value: 'image' }, { name: 'B', value: 'image' }, { name: 'container', value: 'docker' }],
    flags: [{ name: 'A', value: 'flag' }, { name: 'C', value: 'flag' }],
  });
  assert.deepEqual(env, [
    { name: 'PATH', value: DEFAULT_PATH },
    { name: 'AC_APP_NAME', value: 'web' },
    { name: 'container', value: 'sprocket' },
    { name: 'A', value: 'flag' },
    { name: 'B', value: 'image' },
    { name: 'C', value: 'flag' },
  ]);
});

test('appEnvironment: the image sets PATH, metadata URL when known', () => {
  const env = appEnvironment({ app: 'a', image: [{ name: 'PATH', value: '/bin' }], metadataUrl: 'http://127.0.0.1:2375' });
  assert.deepEqual(env.slice(0, 3), [
    { name: 'PATH', value: '/bin' },
    { name: 'AC_APP_NAME', value: 'a' },
    { name: 'AC_METADATA_URL', value: 'http://127.0.0.1:2375' },
  ]);
});

test('parsePodPlan fills defaults', () => {
  const plan = parsePodPlan(basePlan());
  assert.equal(plan.network, 'host');
  assert.equal(plan.apps[0]!.workingDirectory, '/');
  assert.deepEqual(plan.apps[0]!.mounts, []);
});

const rejects = (mutate: (p: any) => void, field: string) => {
  const p: any = basePlan();
  mutate(p);
  assert.throws(() => parsePodPlan(p, 'x/plan.json'), (e: unknown) => e instanceof SprocketError && e.file === 'x/plan.json' && e.field === field);
};

test('parsePodPlan names the field of bad input', () => {
  rejects((p) => (p.apps[0].exec = ['bin/web']), 'apps.0.exec');
  rejects((p) => (p.apps[0].workingDirectory = '/a/../b'), 'apps.0.workingDirectory');
  rejects((p) => (p.apps[0].environment = [{ name: 'A-B', value: '' }]), 'apps.0.environment.0.name');
  rejects((p) => (p.apps[0].name = 'Web'), 'apps.0.name');
  rejects((p) => p.apps.push({ ...p.apps[0] }), 'apps.1.name');
  rejects((p) => (p.apps[0].mounts = [{ volume: 'data', target: '/data', readOnly: false }]), 'apps.0.mounts.0.volume');
  rejects((p) => (p.machine = 'other'), 'machine');
  rejects((p) => (p.volumes = [{ name: 'v', kind: 'host', source: '/a\nb' }]), 'volumes.0.source');
  // An app's own volume: <app>/<name>, of an app of the pod, mounted by that app alone.
  rejects((p) => (p.volumes = [{ name: 'web/a/b', kind: 'empty' }]), 'volumes.0.name');
  rejects((p) => (p.volumes = [{ name: 'db/data', kind: 'empty' }]), 'volumes.0.name');
  rejects((p) => {
    p.apps.push({ ...p.apps[0], name: 'db', mounts: [{ volume: 'web/data', target: '/data', readOnly: false }] });
    p.volumes = [{ name: 'web/data', kind: 'empty' }];
  }, 'apps.1.mounts.0.volume');
});
