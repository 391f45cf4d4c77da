// OCI images end to end, every part real: Debian's docker-registry in the
// test host with TLS from a test CA and htpasswd basic auth, images made by
// umoci from busybox-static and pushed by skopeo, then sprocket fetching
// them (by tag, by digest), storing shared layers once, honouring
// whiteouts, mapping the config (the app runs in a pod and prints what it
// was given), refusing wrong credentials and corrupt layers, updating only
// what changed, importing oci-archive and docker-archive files.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { useHost } from '../support/host.js';
import { IN_HOST, onMachine, sprocket } from '../support/pods.js';
import { buildOciLayout, skopeoCopy, startRegistry, writeDockerCredentials, type TestRegistry } from '../support/registry.js';

const LAYOUT = `${IN_HOST}/oci/layout`;
const STATE = `${IN_HOST}/state`;
const APP_CONFIG = [
  '--config.entrypoint', '/bin/sh', '--config.entrypoint', '-c',
  '--config.cmd', 'echo "A=$A cwd=$(pwd) uid=$(id -u) gid=$(id -g) args=$0"; ls /etc',
  '--config.env', 'A=from-the-config', '--config.workingdir', '/opt/app', '--config.user', '1000:1001',
  '--config.exposedports', '8080/tcp', '--config.volume', '/data', '--config.label', 'org.example.team=core',
];

describe('OCI images from a registry and from archives', () => {
  const host = useHost('e2e-oci');
  let reg: TestRegistry;
  const outputs: string[] = [];
  const sp = async (args: string[]) => {
    const r = await sprocket(host(), ['--dir', STATE, '--local-config', reg.localConfig, ...args]);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const ok = async (args: string[]) => {
    const r = await sp(args);
    assert.equal(r.code, 0, `sprocket ${args.join(' ')}:\n${r.stderr}`);
    return r;
  };
  const fetch = (ref: string, ...flags: string[]) => sp(['fetch', '--insecure-options=image', ...flags, `docker://${reg.address}/${ref}`]);
  const layerImages = async () => JSON.parse((await ok(['image', 'list', '--format', 'json'])).stdout).filter((i: { name: string }) => i.name.startsWith('oci-layer/')).length as number;

  before(async () => {
    // Images once per file: base, v1 (a whiteout, a replaced directory, the app config), v2 (one more layer).
    await buildOciLayout(onMachine(host(), LAYOUT), [
      {
        tag: 'v1',
        edit: async (root) => {
          await fs.rm(path.join(root, 'etc/gone'));
          await fs.rm(path.join(root, 'opt/app'), { recursive: true });
          await fs.mkdir(path.join(root, 'opt/app'));
          await fs.writeFile(path.join(root, 'opt/app/new'), 'v1\n');
          await fs.writeFile(path.join(root, 'etc/kept'), 'v1\n');
        },
        config: APP_CONFIG,
      },
      { tag: 'v2', edit: (root) => fs.writeFile(path.join(root, 'etc/v2'), 'v2\n') },
      { tag: 'corrupt', edit: (root) => fs.writeFile(path.join(root, 'etc/corrupt'), 'this layer is damaged in the registry\n') },
    ]);
    reg = await startRegistry(host(), 5443);
    for (const [tag, repo] of [['v1', 'test/app:v1'], ['v2', 'test/app:v2'], ['v1', 'test/moving:latest'], ['corrupt', 'test/corrupt:v1']]) {
      await skopeoCopy(host(), reg, `oci:${LAYOUT}:${tag}`, `docker://${reg.address}/${repo}`);
    }
  });

  it('refuses docker images without --insecure-options=image, and a registry without credentials or with a wrong password', async () => {
    const unsigned = await sp(['fetch', `docker://${reg.address}/test/app:v1`]);
    assert.equal(unsigned.code, 254);
    assert.match(unsigned.stderr, /not signed.*\n.*--insecure-options=image/);
    const anonymous = await fetch('test/app:v1');
    assert.equal(anonymous.code, 254);
    assert.match(anonymous.stderr, /asks for credentials \(HTTP 401\)[\s\S]*docker\.d/);
    await writeDockerCredentials(host(), reg, 'not-the-password');
    const wrong = await fetch('test/app:v1');
    assert.equal(wrong.code, 254);
    assert.match(wrong.stderr, /refused the credentials \(HTTP 401\)/);
    assert.equal(await layerImages(), 0, 'nothing stored');
    await writeDockerCredentials(host(), reg);
  });

  it('fetches by tag and by digest; layers shared by two images are stored once', async () => {
    const v1 = (await fetch('test/app:v1')).stdout.trim();
    assert.match(v1, /^sha512-[0-9a-f]{128}$/);
    assert.equal(await layerImages(), 2);
    const manifest = JSON.parse((await ok(['image', 'cat-manifest', v1])).stdout);
    const digest = manifest.annotations.find((a: { name: string }) => a.name === 'oci-manifest-digest').value;
    const byDigest = await fetch(`test/app@${digest}`);
    assert.equal(byDigest.code, 0, byDigest.stderr);
    assert.equal(byDigest.stdout.trim(), v1);
    const v2 = await fetch('test/app:v2');
    assert.equal(v2.code, 0, v2.stderr);
    assert.equal(v2.stderr.match(/importing layer/g)?.length, 1, 'only the layer v1 lacks is downloaded');
    assert.equal(await layerImages(), 3);
  });

  it('runs the app as the config says (entrypoint, cmd, env, user, workdir), with the whiteouts honoured', async () => {
    const r = await ok(['run', '--volume', 'volume-data,kind=empty', `${reg.address.replace(':', '-')}/test/app:v1`]);
    assert.match(r.stdout, /^A=from-the-config cwd=\/opt\/app uid=1000 gid=1001 args=/m);
    const etc = r.stdout.split('\n').slice(1).filter(Boolean);
    assert.ok(etc.includes('kept') && !etc.includes('gone'), `ls /etc: ${etc.join(' ')}`);
    const manifest = JSON.parse((await ok(['image', 'cat-manifest', `${reg.address.replace(':', '-')}/test/app:v1`])).stdout);
    assert.deepEqual(manifest.app.ports, [{ name: '8080-tcp', protocol: 'tcp', port: 8080, count: 1 }]);
    assert.deepEqual(manifest.app.mountPoints, [{ name: 'volume-data', path: '/data' }]);
    assert.ok(manifest.annotations.some((a: { name: string; value: string }) => a.name === 'org.example.team' && a.value === 'core'));
    const images: { id: string; name: string; labels: { name: string; value: string }[] }[] = JSON.parse((await ok(['image', 'list', '--format', 'json'])).stdout);
    const app = images.find((i) => i.name === `${reg.address.replace(':', '-')}/test/app` && i.labels.some((l) => l.value === 'v1'));
    const opt = await fs.readdir(onMachine(host(), `${STATE}/images/${app?.id}/rootfs/opt/app`));
    assert.deepEqual(opt, ['new'], 'the replaced directory shows only the upper layer');
  });

  it('refuses a layer whose bytes were damaged in the registry, storing nothing', async () => {
    const blobs = path.join(reg.storage, 'docker/registry/v2/blobs/sha256');
    const index = JSON.parse(await fs.readFile(path.join(onMachine(host(), LAYOUT), 'index.json'), 'utf8'));
    const manifestDigest: string = index.manifests.find((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name'] === 'corrupt').digest;
    const manifest = JSON.parse(await fs.readFile(path.join(onMachine(host(), LAYOUT), 'blobs/sha256', manifestDigest.slice(7)), 'utf8'));
    const top: string = manifest.layers.at(-1).digest.slice(7);
    const data = path.join(blobs, top.slice(0, 2), top, 'data');
    const bytes = await fs.readFile(data);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await fs.writeFile(data, bytes);
    const before = await layerImages();
    const r = await fetch('test/corrupt:v1');
    assert.equal(r.code, 254);
    assert.match(r.stderr, /digest sha256:[0-9a-f]{64}, but the manifest says sha256:/);
    assert.equal(await layerImages(), before);
  });

  it('--pull-policy=update fetches only what changed of a moved tag; new and never take the store', async () => {
    const first = await fetch('test/moving:latest');
    assert.equal(first.code, 0, first.stderr);
    const same = await fetch('test/moving:latest', '--pull-policy=update');
    assert.match(same.stderr, /up to date/);
    assert.equal(same.stdout, first.stdout);
    await skopeoCopy(host(), reg, `oci:${LAYOUT}:v2`, `docker://${reg.address}/test/moving:latest`);
    const cached = await fetch('test/moving:latest', '--pull-policy=new');
    assert.equal(cached.stdout, first.stdout, 'new: the stored image, the registry not asked');
    const moved = await fetch('test/moving:latest', '--pull-policy=update');
    assert.equal(moved.code, 0, moved.stderr);
    assert.notEqual(moved.stdout, first.stdout);
    assert.doesNotMatch(moved.stderr, /importing layer/, 'every layer of the new manifest was in the store already');
    const never = await fetch('test/never:latest', '--pull-policy=never');
    assert.equal(never.code, 254);
    assert.match(never.stderr, /no image .*test\/never:latest in the store/);
  });

  it('imports an oci-archive and a docker-archive made by skopeo', async () => {
    await skopeoCopy(host(), reg, `oci:${LAYOUT}:v2`, `oci-archive:${IN_HOST}/oci/app.tar:v2`);
    await skopeoCopy(host(), reg, `oci:${LAYOUT}:v1`, `docker-archive:${IN_HOST}/oci/saved.tar:example.com/saved:1.0`);
    const r = await ok(['image', 'import', `oci-archive:${IN_HOST}/oci/app.tar`, `docker-archive:${IN_HOST}/oci/saved.tar`]);
    assert.equal(r.stdout.trim().split('\n').length, 2);
    const run = await ok(['run', '--volume', 'volume-data,kind=empty', 'example.com/saved:1.0']);
    assert.match(run.stdout, /^A=from-the-config cwd=\/opt\/app uid=1000 gid=1001/m);
    const list = (await ok(['image', 'list'])).stdout;
    assert.match(list, /archive\/app\.tar\s+v2/);
  });

  it("exports an exited pod with its changes as an ACI that validates and runs; in a user namespace too, files the pod's root made being root's in the ACI", async () => {
    const image = `${reg.address.replace(':', '-')}/test/app:v1`;
    const exported: string[] = [];
    // Both pods run before an export is imported (it has the image's name).
    for (const privateUsers of ['no', 'yes']) {
      const uuidFile = `${IN_HOST}/oci/export-${privateUsers}.uuid`;
      await ok(['run', `--private-users=${privateUsers}`, '--uuid-file-save', uuidFile, '--volume', 'volume-data,kind=empty', image, '--user', '0', '--group', '0',
        '--exec', '/bin/sh', '--', '-c', 'rm /etc/kept && echo made-in-the-pod > /etc/made && rm -r /opt/app && mkdir /opt/app && echo x > /opt/app/fresh']);
      const uuid = (await fs.readFile(onMachine(host(), uuidFile), 'utf8')).trim();
      const aci = `${IN_HOST}/oci/exported-${privateUsers}.aci`;
      await ok(['export', uuid, aci]);
      assert.match((await ok(['image', 'validate', aci])).stdout, /valid ACI sha512-/);
      exported.push(aci);
    }
    for (const aci of exported) {
      const r = await ok(['run', '--insecure-options=image', '--volume', 'volume-data,kind=empty', aci, '--exec', '/bin/sh', '--', '-c', 'cat /etc/made; ls /etc /opt/app; ls -ln /etc/made']);
      assert.match(r.stdout, /^made-in-the-pod$/m, aci);
      assert.doesNotMatch(r.stdout, /^kept$/m, 'a file deleted in the pod stays deleted');
      assert.match(r.stdout, /^fresh$/m);
      assert.doesNotMatch(r.stdout, /^new$/m, 'a directory replaced in the pod hides what the image had');
      assert.match(r.stdout, /^\S+\s+1\s+0\s+0\s.*\/etc\/made$/m, `${aci}: ${r.stdout}`);
    }
  });

  it('image verify covers layer images: all verify, and a damaged layer tree is named', async () => {
    const all = await sp(['image', 'verify']);
    assert.equal(all.code, 0, all.stderr);
    const images: { id: string; name: string }[] = JSON.parse((await ok(['image', 'list', '--format', 'json'])).stdout);
    let damaged: string | undefined;
    for (const layer of images.filter((i) => i.name.startsWith('oci-layer/'))) {
      const file = onMachine(host(), `${STATE}/images/${layer.id}/rootfs/etc/v2`);
      if (await fs.stat(file).then(() => true, () => false)) {
        await fs.writeFile(file, 'tampered\n');
        damaged = layer.id;
      }
    }
    assert.ok(damaged, 'the layer that adds /etc/v2 is stored');
    const r = await sp(['image', 'verify']);
    assert.equal(r.code, 254);
    assert.ok(r.stderr.includes(damaged!.slice(0, 19)), r.stderr);
  });

  it('never shows the credentials: not in any output, not in the journal', async () => {
    const journal = await host().run(['journalctl', '-o', 'cat', '--no-pager']);
    for (const text of [...outputs, journal]) {
      assert.ok(!text.includes(reg.password), 'the password appears');
      assert.ok(!text.includes(Buffer.from(`${reg.user}:${reg.password}`).toString('base64')), 'the basic credentials appear');
    }
  });
});
