import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { reifyPod, type ImageSource } from '../../../src/pod/reify.js';
import { buildPlan, type PlanImages } from '../../../src/pod/plan.js';
import { parseRunArgs } from '../../../src/cli/run-args.js';
import { SprocketError } from '../../../src/errors.js';
import { PodManifest, type ImageManifest } from '../../../src/spec/index.js';

const ID = (c: string) => `sha512-${c.repeat(128)}`;
const UUID = '0b3c7e9a-5f1d-4c2b-9a8e-1f2d3c4b5a69';

/** A fake store of two images with real trees on disk. */
async function fakeStore() {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'sprocket-plan-'));
  const manifests: Record<string, ImageManifest> = {
    [ID('a')]: {
      acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/web',
      app: { exec: ['/bin/httpd', '-f'], user: 'www', group: 'staff', workingDirectory: '/srv', environment: [{ name: 'A', value: 'image' }],
        mountPoints: [{ name: 'data', path: '/var/data', readOnly: true }],
        eventHandlers: [{ name: 'pre-start', exec: ['/bin/setup'] }] },
    },
    [ID('b')]: { acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/my_tool', app: { exec: ['/bin/tool'], user: '0', group: '0' } },
  };
  for (const id of Object.keys(manifests)) {
    const tree = path.join(root, id);
    await fs.mkdir(path.join(tree, 'etc'), { recursive: true });
    await fs.mkdir(path.join(tree, 'srv'));
    await fs.writeFile(path.join(tree, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\nwww:x:33:33::/srv:/bin/sh\n');
    await fs.writeFile(path.join(tree, 'etc/group'), 'root:x:0:\nstaff:x:50:www\n');
    await fs.mkdir(path.join(tree, 'bin'));
    for (const exe of ['httpd', 'tool', 'sh']) await fs.writeFile(path.join(tree, 'bin', exe), '', { mode: 0o755 });
  }
  const images: ImageSource & PlanImages = {
    resolve: async (ref) => ({ 'example.com/web': ID('a'), tool: ID('b') })[ref] ?? Promise.reject(new SprocketError('not-found', `no image ${ref}`)),
    manifest: async (id) => structuredClone(manifests[id]!),
    treePath: (id) => path.join(root, id),
  };
  return { root, images };
}

const plan = async (argv: string[], images: ImageSource & PlanImages) =>
  buildPlan({ uuid: UUID, podDir: `/var/lib/sprocket/pods/${UUID}`, manifest: await reifyPod(parseRunArgs(argv), images), source: 'command line' }, images);

const rejects = (p: Promise<unknown>, re: RegExp) =>
  assert.rejects(p, (e: unknown) => e instanceof SprocketError && re.test(e.describe()));

test('flags become a reified manifest and a plan with numeric ids and the mount of the mount point', async () => {
  const { images } = await fakeStore();
  const args = ['--volume', 'data,kind=empty,mode=0700', '--set-env', 'A=pod', 'example.com/web', '--environment', 'B=app', '--', 'extra'];
  const manifest = await reifyPod(parseRunArgs(args), images);
  assert.equal(manifest.apps[0]!.name, 'web');
  assert.equal(manifest.apps[0]!.image.id, ID('a'));
  assert.deepEqual(manifest.apps[0]!.app!.exec, ['/bin/httpd', '-f', 'extra']);
  const p = await plan(args, images);
  const app = p.apps[0]!;
  assert.equal(p.unit, `sprocket-${UUID}.service`);
  assert.deepEqual([app.uid, app.gid, app.workingDirectory], [33, 50, '/srv']);
  assert.deepEqual(app.mounts, [{ volume: 'data', target: '/var/data', readOnly: true }]);
  assert.deepEqual(app.preStart, ['/bin/setup']);
  assert.deepEqual(p.volumes, [{ name: 'data', kind: 'empty', readOnly: false, mode: 0o700, uid: 0, gid: 0 }]);
  const env = Object.fromEntries(app.environment.map((v) => [v.name, v.value]));
  assert.deepEqual([env.A, env.B, env.AC_APP_NAME, env.container], ['pod', 'app', 'web', 'sprocket']);
});

test('--exec, --user and --working-dir override the image', async () => {
  const { images } = await fakeStore();
  const p = await plan(['--volume', 'data,kind=empty', 'example.com/web', '--exec', '/bin/sh', '--user', '0', '--working-dir', '/etc', '--', '-c', 'true'], images);
  assert.deepEqual(p.apps[0]!.exec, ['/bin/sh', '-c', 'true']);
  assert.deepEqual([p.apps[0]!.uid, p.apps[0]!.workingDirectory], [0, '/etc']);
});

test('errors name the app and the field, before anything is made', async () => {
  const { images } = await fakeStore();
  await rejects(plan(['--volume', 'data,kind=empty', 'example.com/web', '--user', 'nobody'], images), /apps\[0\]\.app\.user: app web: user nobody is not in/);
  await rejects(plan(['--volume', 'data,kind=empty', 'example.com/web', '--group', 'wheel'], images), /apps\[0\]\.app\.group: .*group wheel/);
  await rejects(plan(['--volume', 'data,kind=empty', 'example.com/web', '--working-dir', '/nope'], images), /app\.workingDirectory: .*\/nope does not exist/);
  await rejects(plan(['tool'], images), /apps\[0\].name: "my_tool" .*is not a valid app name/);
  await rejects(plan(['tool', '--name', 't', '--mount', 'volume=v,target=/x'], images), /apps\[0\]\.mounts\[0\]\.volume: app t: no volume named v/);
  await rejects(plan(['--volume', 'h,kind=host,source=/no/such/dir', 'tool', '--name', 't'], images), /volumes\[0\]\.source: host path \/no\/such\/dir/);
  await rejects(plan(['tool', '--name', 't', '---', 'tool', '--name', 't'], images), /duplicate app "t"/);
  await rejects(plan(['--volume', 'data,kind=empty', 'example.com/web', 'example.com/web'], images),
    /apps\[1\]\.name: duplicate app "web" \(the default name of image example\.com\/web\)\n\s+hint: give each app of one image its own name: IMAGE --name NAME/);
});

test('the exec must be an executable file of the image (or under a mounted volume), checked before anything is made', async () => {
  const { root, images } = await fakeStore();
  const tree = path.join(root, ID('b'));
  const tool = (...flags: string[]) => plan(['--volume', 'v,kind=empty', 'tool', '--name', 't', ...flags], images);
  await rejects(tool('--exec', '/nope'), /apps\[0\]\.app\.exec\[0\]: app t: exec \/nope does not exist in image example.com\/my_tool\n.*hint: the app's exec \(--exec\) names a path inside the image/s);
  await fs.writeFile(path.join(tree, 'bin/data'), '', { mode: 0o644 });
  await rejects(tool('--exec', '/bin/data'), /app\.exec\[0\]: app t: exec \/bin\/data is not executable/);
  await rejects(tool('--exec', '/etc'), /app\.exec\[0\]: app t: exec \/etc is not a regular file/);
  // A link to the host's /bin/sh is read inside the tree, where it does not exist.
  await fs.symlink('/bin/sh-on-host', path.join(tree, 'bin/link'));
  await rejects(tool('--exec', '/bin/link'), /exec \/bin\/link does not exist/);
  await fs.symlink('tool', path.join(tree, 'bin/alias'));
  assert.deepEqual((await tool('--exec', '/bin/alias')).apps[0]!.exec, ['/bin/alias']);
  assert.deepEqual((await tool('--mount', 'volume=v,target=/opt', '--exec', '/opt/bin/run')).apps[0]!.exec, ['/opt/bin/run']);
});

test('a symlink in the image cannot make sprocket read the host /etc/passwd', async () => {
  const { root, images } = await fakeStore();
  const tree = path.join(root, ID('b'));
  await fs.rm(path.join(tree, 'etc'), { recursive: true });
  await fs.symlink('/etc', path.join(tree, 'etc'));
  await rejects(plan(['tool', '--name', 't', '--user', 'root'], images), /user root is not in the image's \/etc\/passwd/);
});

/** A pod manifest (parsed: defaults applied) of app web with `mounts`, and pod volumes `volumes`. */
const podWith = (mounts: unknown[], volumes: unknown[] = []) => PodManifest.parse({
  acKind: 'PodManifest', acVersion: '0.8.11',
  apps: [{ name: 'web', image: { id: ID('a') }, mounts }, { name: 'tool', image: { id: ID('b') } }],
  volumes,
});
const planOf = (manifest: PodManifest, images: PlanImages) =>
  buildPlan({ uuid: UUID, podDir: `/var/lib/sprocket/pods/${UUID}`, manifest, source: 'pod.json' }, images);

test('appVolume: a volume of the app alone, named <app>/<volume>, beside a pod volume of the same name', async () => {
  const { root, images } = await fakeStore();
  const p = await planOf(podWith([
    { volume: 'data', path: 'data', appVolume: { name: 'data', kind: 'empty', mode: '0700', uid: 33, gid: 50 } },
    { volume: 'conf', path: '/etc/conf', appVolume: { name: 'conf', kind: 'host', source: root, readOnly: true } },
    { volume: 'data', path: '/again', appVolume: { name: 'data', kind: 'empty', mode: '0700', uid: 33, gid: 50 } },
    { volume: 'shared', path: '/shared' },
  ], [{ name: 'data', kind: 'empty' }, { name: 'shared', kind: 'empty' }]), images);
  assert.deepEqual(p.volumes, [
    { name: 'data', kind: 'empty', readOnly: false, mode: 0o755, uid: 0, gid: 0 },
    { name: 'shared', kind: 'empty', readOnly: false, mode: 0o755, uid: 0, gid: 0 },
    { name: 'web/data', kind: 'empty', readOnly: false, mode: 0o700, uid: 33, gid: 50 },
    { name: 'web/conf', kind: 'host', source: root, readOnly: true, recursive: true },
  ]);
  // The image's mount point data (read-only) is mounted from the app's own volume, not the pod's.
  assert.deepEqual(p.apps[0]!.mounts, [
    { volume: 'web/data', target: '/var/data', readOnly: true },
    { volume: 'web/conf', target: '/etc/conf', readOnly: true },
    { volume: 'web/data', target: '/again', readOnly: false },
    { volume: 'shared', target: '/shared', readOnly: false },
  ]);
  assert.deepEqual(p.apps[1]!.mounts, []);
});

test('appVolume errors name the app and the field', async () => {
  const { images } = await fakeStore();
  const own = (appVolume: unknown, volume = 'data') => ({ volume, path: 'data', appVolume });
  await rejects(planOf(podWith([own({ name: 'h', kind: 'host', source: '/no/such/dir' }, 'h')]), images),
    /pod\.json: apps\[0\]\.mounts\[0\]\.appVolume\.source: host path \/no\/such\/dir of volume h does not exist/);
  await rejects(planOf(podWith([own({ name: 'other', kind: 'empty' })]), images),
    /apps\[0\]\.mounts\[0\]\.appVolume\.name: app web: mount of volume data brings an appVolume named other/);
  await rejects(planOf(podWith([own({ name: 'data', kind: 'empty' }), { ...own({ name: 'data', kind: 'empty', readOnly: true }), path: '/x' }]), images),
    /apps\[0\]\.mounts\[1\]\.appVolume: app web: two different appVolumes named data/);
});

test('a host volume through a symbolic link, and overlapping mount targets in one app, are refused', async () => {
  const { root, images } = await fakeStore();
  await fs.mkdir(path.join(root, 'real'));
  await fs.symlink('real', path.join(root, 'link'));
  await rejects(planOf(podWith([{ volume: 'v', path: '/v' }], [{ name: 'v', kind: 'host', source: path.join(root, 'link') }]), images),
    /^pod\.json: volumes\[0\]\.source: host path .*\/link of volume v goes through a symbolic link\n  hint: give the path it leads to: .*\/real$/);
  await rejects(planOf(podWith([{ volume: 'v', path: '/v' }], [{ name: 'v', kind: 'host', source: path.join(root, 'link', '.') }]), images), /goes through a symbolic link/);
  const two = [{ name: 'a', kind: 'empty' }, { name: 'b', kind: 'empty' }, { name: 'data', kind: 'empty' }];
  await rejects(planOf(podWith([{ volume: 'a', path: '/srv/x' }, { volume: 'b', path: '/srv/x/' }], two), images),
    /^pod\.json: apps\[0\]\.mounts: app web: mount targets \/srv\/x \(volume a\) and \/srv\/x\/ \(volume b\) overlap/);
  await rejects(planOf(podWith([{ volume: 'a', path: '/srv' }, { volume: 'b', path: '/srv/x' }], two), images), /overlap/);
  // Beside each other is fine (and the image's mount point /var/data gets its volume).
  const p = await planOf(podWith([{ volume: 'a', path: '/srv/x' }, { volume: 'b', path: '/srv/xy' }], two), images);
  assert.deepEqual(p.apps[0]!.mounts.map((m) => m.target), ['/srv/x', '/srv/xy', '/var/data']);
});

test("the reified manifest always lists the pod's annotations ([] for none), as /pod/annotations serves them (appc's ACE validator)", async () => {
  const { root, images } = await fakeStore();
  assert.deepEqual((await reifyPod(parseRunArgs(['example.com/web']), images)).annotations, []);
  const file = path.join(root, 'pod.json');
  for (const annotations of [undefined, null, [{ name: 'a', value: 'b' }]]) {
    await fs.writeFile(file, JSON.stringify({ acKind: 'PodManifest', acVersion: '0.8.11', apps: [{ name: 'web', image: { name: 'example.com/web' } }], ...(annotations !== undefined ? { annotations } : {}) }));
    assert.deepEqual((await reifyPod(parseRunArgs(['--pod-manifest', file]), images)).annotations, annotations ?? []);
  }
});

test('an inline pod gets the default network like any pod; --net=host and --net=none as asked', async () => {
  const { images } = await fakeStore();
  const inline = { unit: 'web.service', invocation: 'a'.repeat(32) };
  const build = async (argv: string[]) => {
    const request = parseRunArgs(argv);
    return buildPlan({ uuid: UUID, podDir: `/var/lib/sprocket/pods/${UUID}`, manifest: await reifyPod(request, images), source: 'command line', inline, ...(request.network ? { network: request.network } : {}) }, images);
  };
  const data = ['--volume', 'data,kind=empty'];
  const contained = await build([...data, 'example.com/web']);
  assert.equal(contained.network, 'contained');
  assert.deepEqual(contained.networks.map((n) => n.name), ['default']);
  assert.equal(contained.unit, 'web.service');
  assert.equal((await build([...data, '--net=host', 'example.com/web'])).network, 'host');
  assert.equal((await build([...data, '--net=none', 'example.com/web'])).network, 'none');
});

test('health flags become the plan\'s check with podman\'s defaults; a check the image cannot run is refused', async () => {
  const { images } = await fakeStore();
  const health = async (flags: string[]) => (await plan(['tool', '--name', 'tool', ...flags], images)).apps[0]!.health;
  assert.equal(await health([]), undefined);
  assert.deepEqual(await health(['--health-cmd', 'test -e /ok']), {
    exec: ['/bin/sh', '-c', 'test -e /ok'], intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3, onFailure: 'kill',
  });
  assert.deepEqual(await health(['--health-cmd', '["CMD", "/bin/tool", "--ping"]', '--health-interval=1.5s', '--health-timeout=500ms',
    '--health-start-period=1m', '--health-retries=5', '--health-on-failure=none']), {
    exec: ['/bin/tool', '--ping'], intervalMs: 1500, timeoutMs: 500, startPeriodMs: 60_000, retries: 5, onFailure: 'none',
  });
  // Not a JSON array of strings: a shell line, as podman takes it.
  assert.deepEqual((await health(['--health-cmd', '[ -e /ok ]']))!.exec, ['/bin/sh', '-c', '[ -e /ok ]']);
  assert.deepEqual((await health(['--health-cmd', '[1]']))!.exec, ['/bin/sh', '-c', '[1]']);
  await rejects(health(['--health-cmd', '["/bin/nope"]']), /annotations: app tool: health check \/bin\/nope does not exist in image/);
  await rejects(health(['--health-retries=2']), /need a command: sprocket\.dev\/health-cmd/);
  // An annotation of a pod manifest is checked as the flag is.
  await rejects(health(['--annotation', 'sprocket.dev/health-cmd=true', '--annotation', 'sprocket.dev/health-interval=often']),
    /annotation sprocket\.dev\/health-interval must be a time span like 500ms, 30s, 1m or 1h, not "often"/);
});

test('--share-processes lets an app share its processes, from the pod manifest alone; an image that asks for it is refused', async () => {
  const { images } = await fakeStore();
  const share = async (flags: string[], from = images) => (await plan(['tool', '--name', 'tool', ...flags], from)).apps[0]!.shareProcesses;
  assert.equal(await share([]), false);
  assert.equal(await share(['--share-processes']), true);
  assert.equal(await share(['--share-processes=false']), false);
  await rejects(share(['--annotation', 'sprocket.dev/share-processes=yes']), /annotation sprocket\.dev\/share-processes must be true or false, not "yes"/);
  const asking = { ...images, manifest: async (id: string) => ({ ...(await images.manifest(id)), annotations: [{ name: 'sprocket.dev/share-processes', value: 'true' }] }) };
  await assert.rejects(share([], asking), (e: unknown) => e instanceof SprocketError && e.kind === 'untrusted' && /image example\.com\/my_tool asks for sprocket\.dev\/share-processes/.test(e.message));
  assert.equal(await share(['--share-processes=false'], asking), false, "the operator's word decides");
});

test('socket-activated ports reach the plan; one that is neither tcp nor udp is refused, naming the field', async () => {
  const { images } = await fakeStore();
  const withPorts = (ports: unknown[]): typeof images => ({
    ...images,
    manifest: async (id) => {
      const m = await images.manifest(id);
      if (id === ID('b')) m.app!.ports = ports as never;
      return m;
    },
  });
  const p = await plan(['tool', '--name', 't'], withPorts([{ name: 'http', protocol: 'tcp', port: 80, socketActivated: true }, { name: 'admin', protocol: 'tcp', port: 81 }]));
  assert.deepEqual(p.apps[0]!.ports.map((x) => [x.name, x.socketActivated]), [['http', true], ['admin', false]]);
  await rejects(plan(['tool', '--name', 't'], withPorts([{ name: 'x', protocol: 'sctp', port: 5, socketActivated: true }])),
    /apps\[0\]\.app\.ports\[0\]\.protocol: app t: port x: a socket-activated port must be tcp or udp, not "sctp"/);
});

test("a mount point without a volume gets an implicit empty volume of its name (appc: every mount point satisfied), with a warning; one given or mounted is not replaced", async () => {
  const { images } = await fakeStore();
  const warnings: string[] = [];
  const manifest = await reifyPod(parseRunArgs(['example.com/web']), images, (m) => warnings.push(m));
  assert.deepEqual(manifest.volumes, [{ name: 'data', kind: 'empty', mode: '0755', uid: 0, gid: 0 }]);
  assert.deepEqual(warnings, ['app web: no volume for mount point data (/var/data): an empty volume data is made, removed with the pod (give one with --volume data,kind=...)']);
  const p = await buildPlan({ uuid: UUID, podDir: `/var/lib/sprocket/pods/${UUID}`, manifest, source: 'command line' }, images);
  assert.deepEqual(p.apps[0]!.mounts, [{ volume: 'data', target: '/var/data', readOnly: true }]);
  assert.deepEqual(p.volumes, [{ name: 'data', kind: 'empty', readOnly: false, mode: 0o755, uid: 0, gid: 0 }]);
  for (const args of [['--volume', 'data,kind=empty,mode=0700', 'example.com/web'], ['--volume', 'other,kind=empty', 'example.com/web', '--mount', 'volume=other,target=/var/data']]) {
    const given = await reifyPod(parseRunArgs(args), images, (m) => assert.fail(`no warning expected: ${m}`));
    assert.deepEqual(given.volumes?.map((v) => v.name), [args[1]!.split(',')[0]]);
  }
});
