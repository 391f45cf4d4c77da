import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHelp, parseRunArgs } from '../../../src/cli/run-args.js';
import { SprocketError } from '../../../src/errors.js';
import { runSprocket } from '../../support/cli.js';

test('pod flags, two app groups separated by ---, app arguments after --', () => {
  const r = parseRunArgs([
    '--volume', 'data,kind=empty,mode=0700,uid=5', '--name=web1', '-d', '--net', 'none', '--set-env', 'A=b=c',
    'example.com/web', '--name', 'front', '--exec=/bin/sh', '--environment', 'X=1', '--mount', 'volume=data,target=/d',
    '--', '-c', '--name not-a-flag', '---',
    'sha512-abc', '--user=nobody', '--readonly-rootfs',
  ]);
  assert.equal(r.name, 'web1');
  assert.equal(r.detach, true);
  assert.deepEqual(r.network, { network: { mode: 'none', networks: [] } });
  assert.deepEqual(r.volumes, [{ name: 'data', kind: 'empty', mode: '0700', uid: 5 }]);
  assert.deepEqual(r.setEnv, [{ name: 'A', value: 'b=c' }]);
  assert.equal(r.apps.length, 2);
  assert.deepEqual(r.apps[0], {
    image: 'example.com/web', name: 'front', exec: '/bin/sh', args: ['-c', '--name not-a-flag'],
    environment: [{ name: 'X', value: '1' }], mounts: [{ volume: 'data', target: '/d' }],
  });
  assert.deepEqual(r.apps[1], { image: 'sha512-abc', user: 'nobody', readOnlyRootFS: true, args: [], environment: [], mounts: [] });
});

test('a bare word after an app starts the next app, as in rkt', () => {
  const r = parseRunArgs(['a.aci', 'b.aci', '--name', 'b2']);
  assert.deepEqual(r.apps.map((a) => [a.image, a.name]), [['a.aci', undefined], ['b.aci', 'b2']]);
});

test('volume kinds and booleans', () => {
  const r = parseRunArgs(['--volume', 'h,kind=host,source=/srv,readOnly=true,recursive=false', 'img']);
  assert.deepEqual(r.volumes, [{ name: 'h', kind: 'host', source: '/srv', readOnly: true, recursive: false }]);
});

test('pod limits: each flag replaces its default; bad values name the flag', () => {
  const r = parseRunArgs(['--tasks-max=infinity', '--limit-nofile', '256', '--log-rate-limit-interval=1min', '--log-rate-limit-burst=0', '--tasks-max=64', 'img']);
  assert.deepEqual(r.limits, { tasksMax: 64, nofile: 256, logRateLimitInterval: '1min', logRateLimitBurst: 0 });
  assert.equal(parseRunArgs(['img']).limits, undefined);
  fails(['--tasks-max=0', 'img'], /^--tasks-max: must be a positive number of tasks or infinity/);
  fails(['--limit-nofile=many', 'img'], /^--limit-nofile: must be a positive number of open files/);
  fails(['--log-rate-limit-interval=1.5s', 'img'], /^--log-rate-limit-interval: must be a time span like 30s/);
  fails(['--log-rate-limit-burst=-1', 'img'], /^--log-rate-limit-burst: must be a number of messages/);
});

const fails = (argv: string[], re: RegExp) =>
  assert.throws(() => parseRunArgs(argv), (e: unknown) => e instanceof SprocketError && e.kind === 'usage' && re.test(e.describe()));

test('bad command lines are usage errors naming the flag', () => {
  fails([], /no image given/);
  fails(['--exec', '/x', 'img'], /--exec: unknown pod flag/);
  fails(['img', '--volume', 'x,kind=empty'], /--volume: unknown app flag/);
  fails(['--volume', 'kind=host', 'img'], /--volume: a volume starts with its name/);
  fails(['--volume', 'v,kind=tmp', 'img'], /kind must be host or empty/);
  fails(['--volume', 'v,kind=empty,uid=x', 'img'], /uid must be a number/);
  fails(['img', '--mount', 'volume=v'], /--mount: expected volume=NAME,target=PATH/);
  fails(['img', '--environment', 'novalue'], /--environment: expected NAME=VALUE/);
  fails(['img', '--environment', 'a.b=1'], /--environment: "a.b" is not an environment variable name \(letters, digits and _/);
  fails(['--set-env', 'a-b=1', 'img'], /--set-env: "a-b" is not an environment variable name/);
  fails(['--pod-manifest', 'p.json', 'img'], /--pod-manifest replaces images/);
  fails(['--interactive', 'a', 'b'], /--interactive needs exactly one app/);
  fails(['--interactive', '-d', 'a'], /--interactive runs in the foreground/);
  fails(['img', '---'], /must be followed by an image/);
  fails(['--', 'x'], /before any image/);
  fails(['img', '--name'], /--name needs a value/);
  fails(['--net=host,default', 'img'], /--net: --net=host cannot be combined/);
  fails(['--net=bad name', 'img'], /--net: network "bad name": must be a CNI network name/);
  fails(['--net=default:IP', 'img'], /--net: network default: expected CNI arguments KEY=VALUE/);
  fails(['--port=http', 'img'], /--port: expected NAME:\[HOSTIP:\]HOSTPORT/);
  fails(['--port=http:70000', 'img'], /--port: host port 70000 is not a port number/);
  fails(['--port=http:1.2.3:80', 'img'], /--port: host IP "1.2.3"/);
  fails(['--dns=host', '--dns=1.1.1.1', 'img'], /--dns: --dns=host cannot be combined/);
  fails(['--dns=nameserver', 'img'], /--dns: "nameserver": must be an IPv4 or IPv6 address/);
  fails(['--hosts-entry=db', 'img'], /--hosts-entry: expected IP=NAME or host/);
  fails(['--hostname=no_underscores', 'img'], /--hostname: "no_underscores": must be a host name/);
  fails(['-d=false', 'img'], /unknown pod flag/);
});

test('--help among the pod flags asks for help; after an image it does not', () => {
  assert.equal(isHelp(['-d', '--help']), true);
  assert.equal(isHelp(['img', '--help']), false);
  assert.equal(isHelp(['img', '--', '--help']), false);
});

test('sprocket run refuses a bad command line with exit 64 before it needs systemd', async () => {
  const r = await runSprocket(['run', 'example.com/web', '--volume', 'v,kind=empty']);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /^sprocket: --volume: unknown app flag \(after image example\.com\/web\)/);
});

test('--pull-policy: never, new or update; anything else is refused naming the flag', () => {
  assert.equal(parseRunArgs(['--pull-policy=never', 'a.aci']).pullPolicy, 'never');
  assert.equal(parseRunArgs(['--pull-policy', 'update', 'a.aci']).pullPolicy, 'update');
  assert.equal(parseRunArgs(['a.aci']).pullPolicy, undefined);
  assert.throws(() => parseRunArgs(['--pull-policy=sometimes', 'a.aci']), (e: SprocketError) => e.kind === 'usage' && e.field === '--pull-policy');
});

test('--unit-mode is transient or inline; inline is neither detached nor interactive', () => {
  assert.equal(parseRunArgs(['--unit-mode=inline', 'x']).unitMode, 'inline');
  assert.throws(() => parseRunArgs(['--unit-mode=other', 'x']), /expected transient or inline/);
  assert.throws(() => parseRunArgs(['--unit-mode=inline', '-d', 'x']), /cannot be detached or interactive/);
});

test('--restart and --restart-delay are app annotations of the pod manifest, checked on the command line', () => {
  const r = parseRunArgs(['x', '--restart=on-failure', '--restart-delay', '500ms', '--annotation', 'a/b=c']);
  assert.deepEqual(r.apps[0]!.annotations, [
    { name: 'sprocket.dev/restart', value: 'on-failure' },
    { name: 'sprocket.dev/restart-delay', value: '500ms' },
    { name: 'a/b', value: 'c' },
  ]);
  assert.throws(() => parseRunArgs(['x', '--restart=sometimes']), (e: unknown) => e instanceof SprocketError && e.field === '--restart');
  assert.throws(() => parseRunArgs(['x', '--restart-delay=soon']), (e: unknown) => e instanceof SprocketError && e.field === '--restart-delay');
});

test('--share-processes is an app annotation of the pod manifest, true or false', () => {
  const r = parseRunArgs(['x', '--share-processes', '---', 'y', '--share-processes=false', '---', 'z']);
  assert.deepEqual(r.apps.map((a) => a.annotations), [[{ name: 'sprocket.dev/share-processes', value: 'true' }], [{ name: 'sprocket.dev/share-processes', value: 'false' }], undefined]);
  assert.throws(() => parseRunArgs(['x', '--share-processes=maybe']), (e: unknown) => e instanceof SprocketError && e.field === '--share-processes');
});

test('--health-* flags are app annotations of the pod manifest, checked on the command line', () => {
  const r = parseRunArgs(['x', '--health-cmd', 'wget -q -O- http://127.0.0.1/', '--health-interval=2s', '--health-retries', '2', '--health-on-failure=stop']);
  assert.deepEqual(r.apps[0]!.annotations, [
    { name: 'sprocket.dev/health-cmd', value: 'wget -q -O- http://127.0.0.1/' },
    { name: 'sprocket.dev/health-interval', value: '2s' },
    { name: 'sprocket.dev/health-retries', value: '2' },
    { name: 'sprocket.dev/health-on-failure', value: 'stop' },
  ]);
  const refused = (argv: string[], flag: string, re: RegExp) =>
    assert.throws(() => parseRunArgs(['x', ...argv]), (e: unknown) => e instanceof SprocketError && e.field === flag && re.test(e.message));
  refused(['--health-interval=soon'], '--health-interval', /time span/);
  refused(['--health-timeout=0s'], '--health-timeout', /more than 0/);
  refused(['--health-retries=0'], '--health-retries', /whole number/);
  refused(['--health-on-failure=restart'], '--health-on-failure', /kill|stop|none/);
  refused(['--health-cmd=["check"]'], '--health-cmd', /absolute path/);
  refused(['--health-cmd='], '--health-cmd', /empty/);
});

test('--private-users: yes or no; anything else is refused naming the flag', () => {
  assert.equal(parseRunArgs(['--private-users=no', 'a.aci']).privateUsers, false);
  assert.equal(parseRunArgs(['--private-users', 'yes', 'a.aci']).privateUsers, true);
  assert.equal(parseRunArgs(['a.aci']).privateUsers, undefined);
  assert.throws(() => parseRunArgs(['--private-users=pick', 'a.aci']), (e: SprocketError) => e.kind === 'usage' && e.field === '--private-users');
});
