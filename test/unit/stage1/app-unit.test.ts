import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appLogSocket, appLogUnit } from '../../../stage1-nspawn/app-log.js';
import { APP_STOPPED_UNIT, renderAppUnit } from '../../../stage1-nspawn/app-unit.js';
import { parsePodPlan, type PodPlan } from '../../../stage1-nspawn/plan.js';
import { basePlan } from './fixture.js';

function unit(change: (p: any) => void = () => {}) {
  const raw: any = basePlan();
  change(raw);
  const plan: PodPlan = parsePodPlan(raw);
  return renderAppUnit(plan, plan.apps[0]!).split('\n');
}
const values = (lines: string[], key: string) => lines.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
/** A root app kept apart (test/unit/stage1/app-domain.test.ts): each command through app-domain, CAP_SYS_ADMIN lent. */
const DOMAIN = '"/.sprocket/app-domain" "CAP_SYS_ADMIN" "--" ';
const DOMAIN_BIND = '/sprocket/app-domain:/.sprocket/app-domain';

test('app unit: chrooted to the overlay root, numeric ids, working directory', () => {
  const lines = unit((p) => Object.assign(p.apps[0], { uid: 1000, gid: 100, supplementaryGids: [5, 6], workingDirectory: '/srv/100%' }));
  assert.deepEqual(values(lines, 'RootDirectory'), ['/opt/stage2/web/rootfs']);
  assert.deepEqual(values(lines, 'MountAPIVFS'), ['yes']);
  assert.deepEqual(values(lines, 'User'), ['1000']);
  assert.deepEqual(values(lines, 'Group'), ['100']);
  assert.deepEqual(values(lines, 'SupplementaryGroups'), ['5 6']);
  assert.deepEqual(values(lines, 'WorkingDirectory'), ['/srv/100%%']);
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
  assert.deepEqual(values(lines, 'ExecStart'), [`${DOMAIN}"/bin/echo" "$$HOME" ";" "100%%" "two words"`]);
  assert.deepEqual(values(lines, 'ExecStartPre'), [`${DOMAIN}"/bin/pre"`]);
  assert.deepEqual(values(lines, 'ExecStopPost'), [`-${DOMAIN}"/bin/post" "x"`]);
});

test("app unit: output to its FIFOs (app-log.socket's), read by the pod's app-log.service, which starts first; the journal's sockets bound, not its control socket", () => {
  const lines = unit();
  assert.deepEqual(values(lines, 'ExecStart'), [`${DOMAIN}"/bin/web"`]);
  assert.deepEqual(values(lines, 'StandardOutput'), ['file:/run/sprocket-log/web.stdout']);
  assert.deepEqual(values(lines, 'StandardError'), ['file:/run/sprocket-log/web.stderr']);
  assert.deepEqual(values(lines, 'Requires'), ['app-log.socket']);
  // Wanted, not required: an app must not be restarted with the copier.
  assert.deepEqual(values(lines, 'Wants'), ['app-log.service']);
  assert.deepEqual(values(lines, 'After'), ['app-log.socket app-log.service']);
  assert.deepEqual(values(lines, 'BindReadOnlyPaths'), ['"/sprocket/journal/socket":"/run/systemd/journal/socket" "/sprocket/journal/stdout":"/run/systemd/journal/stdout" "/sprocket/journal/dev-log":"/run/systemd/journal/dev-log" "/sprocket/journal/dev-log":"/dev/log" "/sprocket/etc/hosts":"/etc/hosts" "/sprocket/etc/resolv.conf":"/etc/resolv.conf"', DOMAIN_BIND]);
});

test('app unit: a notify app also gets the pod\'s /usr (its systemd-notify)', () => {
  const lines = unit((p) => (p.apps[0].notify = true));
  assert.deepEqual(values(lines, 'BindReadOnlyPaths'), ['"/usr":"/.sprocket/usr" "/sprocket/journal/socket":"/run/systemd/journal/socket" "/sprocket/journal/stdout":"/run/systemd/journal/stdout" "/sprocket/journal/dev-log":"/run/systemd/journal/dev-log" "/sprocket/journal/dev-log":"/dev/log" "/sprocket/etc/hosts":"/etc/hosts" "/sprocket/etc/resolv.conf":"/etc/resolv.conf"', DOMAIN_BIND]);
});

test('app unit: an interactive app keeps the console, without app-log', () => {
  const lines = unit((p) => (p.apps[0].interactive = true));
  assert.deepEqual(values(lines, 'StandardOutput'), ['tty']);
  assert.deepEqual(values(lines, 'StandardError'), []);
  assert.deepEqual(values(lines, 'Requires'), []);
  assert.ok(!lines.some((l) => l.includes('app-log')));
});

test('app-log.service: one copier for every app of the pod, started again after any end but a stop, its ends recorded', () => {
  const lines = appLogUnit('p1', ['web', 'db'], '/sprocket/status/app-log.service').split('\n');
  assert.deepEqual(values(lines, 'Before'), ['shutdown.target']);
  assert.deepEqual(values(lines, 'Conflicts'), ['shutdown.target']);
  assert.deepEqual(values(lines, 'Requires'), ['app-log.socket']);
  // FailureAction= would end the pod at the first end of the copier, restarted or not; an app that kills it again and again ends it.
  assert.deepEqual(values(lines, 'FailureAction'), []);
  assert.deepEqual(values(lines, 'StartLimitAction'), ['exit']);
  assert.deepEqual(values(lines, 'Restart'), ['always']);
  // A copier stopped by SIGSTOP misses its watchdog and is killed (SIGABRT would wait for a SIGCONT).
  assert.deepEqual(values(lines, 'WatchdogSec'), ['3']);
  assert.deepEqual(values(lines, 'WatchdogSignal'), ['SIGKILL']);
  // READY=1 once it opened the FIFOs: no process before it.
  assert.deepEqual(values(lines, 'Type'), ['notify']);
  assert.deepEqual(values(lines, 'ExecStartPre'), []);
  assert.deepEqual(values(lines, 'ExecStart'), ['"/sprocket/app-log" "/run/sprocket-log" "web" "db"']);
  assert.deepEqual(values(lines, 'ExecStopPost'), ['"/sprocket/app-log-stopped" "p1" "/sprocket/status/app-log.service" "/sprocket/app-log" "log-copier"']);
  // The stop signal reaches the copier alone.
  assert.deepEqual(values(lines, 'KillMode'), ['mixed']);
  // The host's journal directory, control socket and all, is the copier's: bound at /sprocket/journal, in no app's root.
  assert.deepEqual(values(lines, 'RequiresMountsFor'), ['/sprocket/journal /sprocket/status']);
});

test('app-log.socket: the pod\'s systemd makes and holds every FIFO (0600), so they outlive the copier', () => {
  const lines = appLogSocket(['web', 'db']).split('\n');
  assert.deepEqual(values(lines, 'ListenFIFO'), ['/run/sprocket-log/web.stdout', '/run/sprocket-log/web.stderr', '/run/sprocket-log/db.stdout', '/run/sprocket-log/db.stderr']);
  assert.deepEqual(values(lines, 'SocketMode'), ['0600']);
  assert.deepEqual(values(lines, 'Service'), ['app-log.service']);
  // Stopped after the copier, which reads what is left at the pod's end.
  assert.deepEqual(values(lines, 'Before'), ['shutdown.target app-log.service']);
  assert.deepEqual(values(lines, 'Conflicts'), ['shutdown.target']);
});

test('app-stopped@.service: no process until the app stops, its record written before the pod shuts down', () => {
  const lines = APP_STOPPED_UNIT.split('\n');
  assert.deepEqual(values(lines, 'ExecStart'), []);
  assert.deepEqual(values(lines, 'RemainAfterExit'), ['yes']);
  assert.deepEqual(values(lines, 'Before'), ['%i.service', 'shutdown.target']);
  assert.deepEqual(values(lines, 'Conflicts'), ['shutdown.target']);
  assert.deepEqual(values(lines, 'ExecStop'), ['/sprocket/app-stopped %i /sprocket/status /sprocket/apps /sprocket/status/apps.ended']);
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
  assert.deepEqual(values(lines, 'BindReadOnlyPaths'), ['"/sprocket/journal/socket":"/run/systemd/journal/socket" "/sprocket/journal/stdout":"/run/systemd/journal/stdout" "/sprocket/journal/dev-log":"/run/systemd/journal/dev-log" "/sprocket/journal/dev-log":"/dev/log" "/sprocket/etc/hosts":"/etc/hosts" "/sprocket/etc/resolv.conf":"/etc/resolv.conf"', '"/sprocket/volumes/conf":"/etc/my conf"', DOMAIN_BIND]);
});

test('app unit: an app\'s own volume is bound from /sprocket/app-volumes and required mounted', () => {
  const lines = unit((p) => {
    p.volumes = [{ name: 'web/cache', kind: 'empty' }];
    p.apps[0].mounts = [{ volume: 'web/cache', target: '/var/cache', readOnly: false }];
  });
  assert.deepEqual(values(lines, 'BindPaths'), ['"/sprocket/app-volumes/web/cache":"/var/cache"', '/proc']);
  assert.match(values(lines, 'RequiresMountsFor')[0]!, / \/sprocket\/app-volumes\/web\/cache$/);
});

test('app unit: a restart policy is Restart=/RestartSec= and wants the restart counter; none by default', () => {
  const none = unit();
  assert.deepEqual(values(none, 'Restart'), []);
  assert.deepEqual(values(none, 'Wants'), ['app-log.service']);
  const lines = unit((p) => Object.assign(p.apps[0], { restart: 'on-failure', restartDelay: '2s' }));
  assert.deepEqual(values(lines, 'Restart'), ['on-failure']);
  assert.deepEqual(values(lines, 'RestartSec'), ['2s']);
  assert.deepEqual(values(lines, 'Wants'), ['app-started@web.service', 'app-log.service']);
  // FailureAction= would end the pod at the first failure, restarted or not.
  assert.deepEqual(values(lines, 'FailureAction'), []);
  assert.deepEqual(values(lines, 'StartLimitAction'), ['exit']);
  assert.throws(() => unit((p) => (p.apps[0].restart = 'sometimes')));
  assert.throws(() => unit((p) => Object.assign(p.apps[0], { restart: 'always', restartDelay: '2 s' })));
});
