import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAppUnit } from '../../../stage1-nspawn/app-unit.js';
import { parsePodPlan, type PodPlan } from '../../../stage1-nspawn/plan.js';
import type { SystemdCat } from '../../../stage1-nspawn/systemd-cat.js';
import { basePlan } from './fixture.js';

const cat: SystemdCat = { loader: '/.sprocket/usr/lib/ld.so', libraryPath: ['/.sprocket/usr/lib', '/.sprocket/usr/lib/systemd'], binary: '/.sprocket/usr/bin/systemd-cat' };

function unit(change: (p: any) => void = () => {}, withCat: SystemdCat | undefined = undefined) {
  const raw: any = basePlan();
  change(raw);
  const plan: PodPlan = parsePodPlan(raw);
  return renderAppUnit(plan, plan.apps[0]!, withCat).split('\n');
}
const values = (lines: string[], key: string) => lines.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

test('app unit: chrooted to the overlay root, numeric ids, working directory', () => {
  const lines = unit((p) => Object.assign(p.apps[0], { uid: 1000, gid: 100, supplementaryGids: [5, 6], workingDirectory: '/srv/100%' }));
  assert.deepEqual(values(lines, 'RootDirectory'), ['/opt/stage2/web/rootfs']);
  assert.deepEqual(values(lines, 'MountAPIVFS'), ['yes']);
  assert.deepEqual(values(lines, 'User'), ['1000']);
  assert.deepEqual(values(lines, 'Group'), ['100']);
  assert.deepEqual(values(lines, 'SupplementaryGroups'), ['5 6']);
  assert.deepEqual(values(lines, 'WorkingDirectory'), ['/srv/100%%']);
  assert.deepEqual(values(lines, 'SyslogIdentifier'), ['web']);
  assert.deepEqual(values(lines, 'FailureAction'), ['exit']);
});

test('app unit: environment in order, quoted, % escaped, $ literal', () => {
  const lines = unit((p) => (p.apps[0].environment = [
    { name: 'PATH', value: '/bin' },
    { name: 'Q', value: 'a "b" c\\d $HOME 50% \n\x01' },
  ]));
  assert.deepEqual(values(lines, 'Environment'), ['"PATH=/bin"', '"Q=a \\"b\\" c\\\\d $HOME 50%% \\n\\x01"']);
});

test('app unit: exec words quoted, $ and % escaped, handlers around the app', () => {
  const lines = unit((p) => Object.assign(p.apps[0], {
    exec: ['/bin/echo', '$HOME', ';', '100%', 'two words'],
    preStart: ['/bin/pre'],
    postStop: ['/bin/post', 'x'],
  }));
  assert.deepEqual(values(lines, 'ExecStart'), ['"/bin/echo" "$$HOME" ";" "100%%" "two words"']);
  assert.deepEqual(values(lines, 'ExecStartPre'), ['"/bin/pre"']);
  assert.deepEqual(values(lines, 'ExecStopPost'), ['-"/bin/post" "x"']);
});

test('app unit: through systemd-cat, with its /usr and the journal sockets bound', () => {
  const lines = unit(() => {}, cat);
  assert.deepEqual(values(lines, 'ExecStart'), [
    '"/.sprocket/usr/lib/ld.so" "--library-path" "/.sprocket/usr/lib:/.sprocket/usr/lib/systemd" "/.sprocket/usr/bin/systemd-cat" "-t" "web" "--stderr-priority=err" "--" "/bin/web"',
  ]);
  assert.deepEqual(values(lines, 'BindReadOnlyPaths'), ['"/usr":"/.sprocket/usr" "/run/systemd/journal":"/run/systemd/journal"']);
});

test('app unit: volumes bound read-write or read-only', () => {
  const lines = unit((p) => {
    p.volumes = [{ name: 'data', kind: 'empty' }, { name: 'conf', kind: 'host', source: '/etc/x' }];
    Object.assign(p.apps[0], {
      readOnlyRootFS: true,
      mounts: [{ volume: 'data', target: '/var/data', readOnly: false }, { volume: 'conf', target: '/etc/my conf', readOnly: true }],
    });
  });
  // The pod's /proc (sensitive paths protected) comes last.
  assert.deepEqual(values(lines, 'BindPaths'), ['"/sprocket/volumes/data":"/var/data"', '/proc']);
  assert.deepEqual(values(lines, 'BindReadOnlyPaths'), ['"/sprocket/volumes/conf":"/etc/my conf"']);
});
