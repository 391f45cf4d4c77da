import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haltUnit, hostUnitProperties } from '../../../stage1-nspawn/host-unit.js';
import { nspawnArgv } from '../../../stage1-nspawn/nspawn-args.js';
import { parsePodPlan } from '../../../stage1-nspawn/plan.js';
import { basePlan } from './fixture.js';
import { podLimits } from '../../../stage1-nspawn/pod-limits.js';
import { wireProperties } from '../../../src/systemd/unit-properties.js';

const withVolumes = () => {
  const p: any = basePlan();
  p.podDir = '/pods/p$1';
  p.stage1Root = '/pods/p$1/stage1';
  p.apps[0].tree = '/trees/a:b';
  p.volumes = [
    { name: 'data', kind: 'empty' },
    { name: 'conf', kind: 'host', source: '/etc/conf', readOnly: true, recursive: false },
    { name: 'web/data', kind: 'empty' },
    { name: 'web/conf', kind: 'host', source: '/etc/web', readOnly: true },
  ];
  return parsePodPlan(p);
};

test('nspawn argv: boot of the stage1 root, machine, overlays, volumes', () => {
  const argv = nspawnArgv(withVolumes());
  const uuid = basePlan().uuid;
  assert.equal(argv[0], '/usr/bin/systemd-nspawn');
  for (const flag of [
    '--directory=/pods/p$1/stage1', '--boot', `--machine=sprocket-${uuid}`, `--uuid=${uuid.replaceAll('-', '')}`,
    '--register=yes', '--keep-unit', '--notify-ready=yes', '--bind-ro=/usr', '--bind=/run/systemd/journal:/sprocket/journal',
    '--bind=/pods/p$1/status:/sprocket/status',
    // Units of the stage1 root and transient ones only; no generators.
    '--setenv=SYSTEMD_UNIT_PATH=/etc/systemd/system:/run/systemd/transient',
    '--setenv=SYSTEMD_GENERATOR_PATH=', '--setenv=SYSTEMD_ENVIRONMENT_GENERATOR_PATH=',
    '--overlay=/trees/a\\:b:/pods/p$1/apps/web/upper:/opt/stage2/web/rootfs',
    '--bind=/pods/p$1/volumes/data:/sprocket/volumes/data',
    '--bind-ro=/etc/conf:/sprocket/volumes/conf:norbind',
    // The app's own volumes, apart from the pod's.
    '--bind=/pods/p$1/app-volumes/web/data:/sprocket/app-volumes/web/data',
    '--bind-ro=/etc/web:/sprocket/app-volumes/web/conf',
  ]) assert.ok(argv.includes(flag), `missing ${flag} in ${argv.join(' ')}`);
  assert.ok(!argv.includes('--private-network'));
});

test('nspawn argv: a read-only root is a read-only overlay', () => {
  const p: any = basePlan();
  p.apps[0].readOnlyRootFS = true;
  const uuid = basePlan().uuid;
  assert.ok(nspawnArgv(parsePodPlan(p)).includes(`--overlay-ro=/trees/web:/var/lib/sprocket/pods/${uuid}/apps/web/upper:/opt/stage2/web/rootfs`));
});

test('nspawn argv: network none is a private network', () => {
  const p: any = basePlan();
  p.network = 'none';
  assert.ok(nspawnArgv(parsePodPlan(p)).includes('--private-network'));
});

test('host unit: notify, machine slice, delegated, $ kept literal', () => {
  const plan = withVolumes();
  const props = hostUnitProperties(plan);
  assert.equal(props.Type, 'notify');
  assert.equal(props.Slice, 'machine.slice');
  assert.equal(props.Delegate, true);
  assert.equal(props.KillMode, 'mixed');
  assert.deepEqual(props.LogExtraFields, { SPROCKET_POD: plan.uuid });
  const start = props.ExecStart![0]!;
  assert.equal(start.path, '/usr/bin/systemd-nspawn');
  assert.ok(start.argv.includes('--directory=/pods/p$$1/stage1'));
  const stop = props.ExecStopPost![0]!;
  assert.equal(stop.argv.at(-1), '/pods/p$$1/pod-exit');
  assert.match(stop.argv[2]!, /"\$\$SERVICE_RESULT" "\$\$EXIT_CODE" "\$\$EXIT_STATUS"/);
  // A stop asked of the unit is marked before nspawn is signalled; after nspawn's own end systemd runs ExecStop= without $MAINPID.
  const request = props.ExecStop![0]!;
  assert.equal(request.argv.at(-1), '/pods/p$$1/stop-requested');
  assert.match(request.argv[2]!, /\[ -z "\$\$MAINPID" \] \|\| : >"\$\$1"/);
});

test("host unit: nspawn's closed device list; the pod's limits, none in a plan of an older sprocket", () => {
  const plan = withVolumes();
  const props = hostUnitProperties(plan);
  assert.equal(props.DevicePolicy, 'closed');
  assert.deepEqual(props.DeviceAllow, [
    ['/dev/null', 'rwm'], ['/dev/zero', 'rwm'], ['/dev/full', 'rwm'], ['/dev/random', 'rwm'], ['/dev/urandom', 'rwm'],
    ['/dev/tty', 'rwm'], ['/dev/net/tun', 'rwm'], ['char-pts', 'rw'],
  ]);
  assert.equal(props.TasksMax, undefined);
  const limited = hostUnitProperties({ ...plan, isolation: { ...plan.isolation, limits: podLimits({ tasksMax: 'infinity', logRateLimitInterval: '500ms' }) } });
  assert.deepEqual(
    [limited.TasksMax, limited.LimitNOFILE, limited.LimitNOFILESoft, limited.LogRateLimitIntervalUSec, limited.LogRateLimitBurst],
    ['infinity', 524288, 1024, 500_000, 10000],
  );
  // Over D-Bus as systemd takes them.
  const wire = new Map(wireProperties(plan.unit, limited).map(([name, sig, value]) => [name, [sig, value]]));
  assert.deepEqual(wire.get('DeviceAllow'), ['a(ss)', props.DeviceAllow]);
  assert.deepEqual(wire.get('TasksMax'), ['t', 2n ** 64n - 1n]);
  assert.deepEqual(wire.get('LogRateLimitBurst'), ['u', 10000]);
});

test('halt unit: started with the host unit, bound to it, repeats SIGRTMIN+3 to the leader until nspawn is gone', () => {
  const plan = withVolumes();
  const halt = haltUnit(plan);
  assert.equal(halt.name, `sprocket-halt-${plan.uuid}.service`);
  assert.deepEqual(hostUnitProperties(plan).Wants, [halt.name]);
  const p = halt.properties;
  assert.deepEqual([p.Type, p.RemainAfterExit, p.BindsTo, p.ExecStart], ['oneshot', true, [plan.unit], undefined]);
  // Not ordered against the host unit: its stop job runs beside the host unit's.
  assert.deepEqual([p.After, p.Before], [undefined, undefined]);
  const stop = p.ExecStop![0]!;
  assert.deepEqual(stop.argv.slice(-4), [plan.unit, plan.machine, '/pods/p$$1/stop-requested', '/pods/p$$1/pod-exit']);
  assert.match(stop.argv[2]!, /systemctl show -p MainPID --value "\$\$1"/);
  // A stop while the pod starts (the host unit skips its ExecStop=) is marked, unless the pod already ended.
  assert.match(stop.argv[2]!, /running "\$\$1" && \[ ! -e "\$\$4" \] && : >"\$\$3"/);
  assert.match(stop.argv[2]!, /machinectl kill --kill-who=leader --signal=SIGRTMIN\+3 "\$\$2"/);
});

test('nspawn argv, --private-users=yes: the range, the image trees idmapped, the upper dirs as they are, host volumes idmapped; a contained pod started in its namespace', () => {
  const p: any = withVolumes();
  p.privateUsers = { base: 0x70010000, size: 65536 };
  p.network = 'contained';
  p.networks = [{ name: 'default' }];
  const plan = parsePodPlan(p);
  const argv = nspawnArgv(plan);
  assert.deepEqual(argv.slice(0, 4), ['/usr/bin/nsenter', `--net=/run/netns/sprocket-${plan.uuid}`, '--', '/usr/bin/systemd-nspawn']);
  for (const flag of [
    `--private-users=${0x70010000}:65536`, '--private-users-ownership=map',
    '--bind-ro=/trees/a\\:b:/sprocket/trees/web:idmap', '--bind=/pods/p$1/apps:/sprocket/app-dirs',
    '--bind=/pods/p$1/volumes/data:/sprocket/volumes/data',
    '--bind-ro=/etc/conf:/sprocket/volumes/conf:norbind,idmap',
    '--bind-ro=/etc/web:/sprocket/app-volumes/web/conf:idmap',
  ]) assert.ok(argv.includes(flag), `missing ${flag} in ${argv.join(' ')}`);
  assert.ok(!argv.some((a) => a.startsWith('--overlay') || a.startsWith('--network-namespace-path')), argv.join(' '));
});
