// What validates but cannot run as written (src/spec/runnable.ts,
// docs/spec.md "Valid, but not run"): refused when the pod is prepared,
// naming the file (the image, the pod manifest, the command line) and the
// field, with nothing made: no pod directory, no image held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fakePods, IDLE_IMAGE_ID } from '../../support/fake-pods.js';
import { preparePod } from '../../../src/pod/prepare.js';
import { podsDir } from '../../../src/pod/dir.js';
import { parseRunArgs } from '../../../src/cli/run-args.js';
import { SprocketError } from '../../../src/errors.js';
import type { App } from '../../../src/spec/index.js';

/** Prepares a pod of an image whose app has `app` merged in, or of a pod manifest: the error, and that nothing was made. */
async function refused(opts: { app?: Partial<App>; podManifest?: object }) {
  const { ctx, images, refs } = await fakePods();
  const manifest = images.manifest;
  images.manifest = async (id) => {
    const m = await manifest(id);
    return { ...m, app: { ...m.app!, ...opts.app } };
  };
  let argv = ['idle'];
  if (opts.podManifest) {
    const file = path.join(ctx.stateDir, '..', 'pod.json');
    await fs.writeFile(file, JSON.stringify({ acKind: 'PodManifest', acVersion: '0.8.11', ...opts.podManifest }));
    argv = ['--pod-manifest', file];
  }
  const e = await preparePod(ctx, parseRunArgs(['--mds-register=false', ...argv]), images).then(() => undefined, (err: unknown) => err);
  assert.ok(e instanceof SprocketError, `prepared, or not a SprocketError: ${String(e)}`);
  assert.deepEqual(await fs.readdir(podsDir(ctx.stateDir)).catch(() => []), [], 'no pod directory');
  assert.equal(refs.size, 0, 'no image held');
  return { kind: e.kind, where: `${e.file?.startsWith('/') ? path.basename(e.file) : (e.file ?? '')}: ${e.field}`, message: e.message };
}

const app = (isolators: unknown[]) => ({ apps: [{ name: 'a', image: { id: IDLE_IMAGE_ID }, app: { exec: ['/bin/sleep'], user: '0', group: '0', isolators } }] });
const capSet = (name: string, set: string[]) => ({ name: `os/linux/capabilities-${name}-set`, value: { set } });

test('an environment name with a dot or a dash (appc allows it): systemd cannot set it', async () => {
  const r = await refused({ app: { environment: [{ name: 'A', value: '1' }, { name: 'java.home', value: '/j' }] } });
  assert.deepEqual([r.kind, r.where], ['invalid', 'image example.com/idle: app.environment[1].name']);
  assert.match(r.message, /^"java\.home": systemd cannot set an environment variable of this name/);
});

test('a capability Linux does not know, in an image or a pod manifest: the set cannot be applied as written', async () => {
  const image = await refused({ app: { isolators: [capSet('remove', ['CAP_SYS_CHROT'])] } });
  assert.deepEqual([image.where, image.message], ['image example.com/idle: app.isolators[0].value.set[0]', '"CAP_SYS_CHROT" is not a Linux capability (like CAP_NET_ADMIN): the set cannot be applied as written']);
  const pod = await refused({ podManifest: app([capSet('retain', ['CAP_CHOWN', 'chown'])]) });
  assert.equal(pod.where, 'pod.json: apps[0].app.isolators[0].value.set[1]');
  // A flag is refused as it is read: test/unit/pod/app-flags.test.ts.
});

test('an isolator at a scope spec/ace.md does not name: capabilities and seccomp of a pod, sysctl of an app', async () => {
  const caps = await refused({ podManifest: { ...app([]), isolators: [{ name: 'os/linux/seccomp-remove-set', value: { set: ['reboot'] } }] } });
  assert.deepEqual([caps.where, caps.message], ['pod.json: isolators[0].name', 'os/linux/seccomp-remove-set applies to apps (spec/ace.md): sprocket cannot bound a whole pod by it: give it to each app']);
  const sysctl = await refused({ app: { isolators: [{ name: 'os/unix/sysctl', value: { 'net.ipv4.tcp_fin_timeout': '6' } }] } });
  assert.equal(sysctl.where, 'image example.com/idle: app.isolators[0].name');
  assert.match(sysctl.message, /^os\/unix\/sysctl applies to pods \(spec\/ace\.md\): sprocket sets sysctls for the whole pod only/);
});

test('host port 0 and a mount of a volume the pod does not have', async () => {
  const port = await refused({ podManifest: { ...app([]), ports: [{ name: 'http', hostPort: 0 }] } });
  assert.deepEqual([port.where, port.message], ['pod.json: ports[0].hostPort', 'host port 0: sprocket forwards the host port given, it does not pick one (1..65535)']);
  const mount = await refused({ podManifest: { apps: [{ name: 'a', image: { id: IDLE_IMAGE_ID }, mounts: [{ volume: 'nosuch', path: '/x' }] }] } });
  assert.deepEqual([mount.where, mount.message], ['pod.json: apps[0].mounts[0].volume', 'app a: no volume named nosuch']);
});

test('what runs as actool reads it: a short upper-case image ID, a handler without exec, memory as a number', async () => {
  const { ctx, images } = await fakePods();
  const asked: string[] = [];
  const resolve = images.resolve;
  images.resolve = async (ref) => (asked.push(ref), resolve(ref));
  const manifest = images.manifest;
  images.manifest = async (id) => {
    const m = await manifest(id);
    return { ...m, app: { ...m.app!, eventHandlers: [{ name: 'pre-start', exec: [] }], isolators: [{ name: 'resource/memory', value: { limit: '1048576' } }] } };
  };
  const file = path.join(ctx.stateDir, '..', 'pod.json');
  await fs.writeFile(file, JSON.stringify({ acKind: 'PodManifest', acVersion: '0.8.11', apps: [{ name: 'a', image: { id: 'sha512-CCC' } }] }));
  const plan = await preparePod(ctx, parseRunArgs(['--mds-register=false', '--pod-manifest', file]), images);
  assert.deepEqual(asked, ['sha512-ccc']);
  assert.equal(plan.apps[0]!.imageId, IDLE_IMAGE_ID);
  assert.equal(plan.apps[0]!.preStart, undefined);
  assert.equal(plan.apps[0]!.isolation.memoryMax, 1048576);
});
