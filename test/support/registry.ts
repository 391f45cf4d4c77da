// A real registry for e2e tests and benchmarks: Debian's docker-registry
// (the CNCF distribution registry) started inside a test host on its
// loopback, with TLS from a throwaway CA (openssl) and htpasswd basic auth;
// OCI images made with umoci from busybox-static and pushed with skopeo.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Host } from './host.js';
import { IN_HOST, onMachine } from './pods.js';
import { makeCa } from './web.js';

export interface TestRegistry {
  /** 127.0.0.1:PORT, as in docker:// references. */
  address: string;
  user: string;
  password: string;
  /** --local-config inside the host: certs.d holds the CA; docker.d is the test's to write. */
  localConfig: string;
  /** The registry's storage on this machine (to corrupt a blob). */
  storage: string;
}

const run = (cmd: string, args: string[], cwd?: string) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/** Starts the registry in `host` on 127.0.0.1:`port` of the host's own network. */
export async function startRegistry(host: Host, port: number, work = `${IN_HOST}/registry`): Promise<TestRegistry> {
  const dir = onMachine(host, work);
  await fs.mkdir(path.join(dir, 'storage'), { recursive: true });
  makeCa(dir);
  const user = 'puller';
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  run('htpasswd', ['-B', '-b', '-c', path.join(dir, 'htpasswd'), user, password]);
  await fs.writeFile(path.join(dir, 'config.yml'), [
    'version: 0.1',
    'log: {level: info, accesslog: {disabled: false}}',
    `storage: {filesystem: {rootdirectory: ${work}/storage}, delete: {enabled: true}}`,
    `http: {addr: "127.0.0.1:${port}", tls: {certificate: ${work}/server.pem, key: ${work}/server.key}}`,
    `auth: {htpasswd: {realm: test-registry, path: ${work}/htpasswd}}`,
    '',
  ].join('\n'));
  const address = `127.0.0.1:${port}`;
  const localConfig = `${work}/config`;
  await fs.mkdir(path.join(dir, 'config', 'certs.d', address), { recursive: true });
  await fs.copyFile(path.join(dir, 'ca.pem'), path.join(dir, 'config', 'certs.d', address, 'ca.crt'));
  await fs.mkdir(path.join(dir, 'config', 'docker.d'), { recursive: true, mode: 0o700 });
  // skopeo's credentials in a file: on its command line they would reach the journal (the unit's description).
  await fs.writeFile(path.join(dir, 'auth.json'), JSON.stringify({ auths: { [`127.0.0.1:${port}`]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }), { mode: 0o600 });
  await host.run(['systemd-run', '--unit=test-registry', '--', 'docker-registry', 'serve', `${work}/config.yml`]);
  // Wait (bounded) until it accepts connections.
  await host.run(['bash', '-c', `for i in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && exit 0; sleep 0.05; done; echo registry did not listen >&2; exit 1`]);
  return { address, user, password, localConfig, storage: path.join(dir, 'storage') };
}

/** Writes docker.d credentials for the registry (mode 0600), with another password if given. */
export async function writeDockerCredentials(host: Host, reg: TestRegistry, password = reg.password): Promise<void> {
  const file = path.join(onMachine(host, reg.localConfig), 'docker.d', 'registry.json');
  await fs.writeFile(file, JSON.stringify({ rktKind: 'dockerAuth', rktVersion: 'v1', registries: [reg.address], credentials: { user: reg.user, password } }));
  await fs.chmod(file, 0o600);
}

/** skopeo copy of an OCI layout's tag into the registry (or any other skopeo destination), run in the host. */
export async function skopeoCopy(host: Host, reg: TestRegistry, from: string, to: string): Promise<void> {
  const certs = `${reg.localConfig}/certs.d/${reg.address}`;
  await host.run(['skopeo', 'copy', '--quiet', '--authfile', `${path.dirname(reg.localConfig)}/auth.json`, '--src-cert-dir', certs, '--dest-cert-dir', certs, from, to]);
}

/**
 * An OCI layout made with umoci on this machine: tag `base` (busybox and
 * its applets, /etc/gone, /opt/app/old), then one tag per entry of
 * `layers`, each one more layer over the previous tag, whose `edit` changes
 * the unpacked tree (deletions become whiteouts), and `config` the umoci
 * config flags of the result.
 */
export async function buildOciLayout(dir: string, layers: { tag: string; edit: (rootfs: string) => Promise<void>; config?: string[] }[]): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(path.dirname(dir), { recursive: true });
  run('umoci', ['init', '--layout', dir]);
  run('umoci', ['new', '--image', `${dir}:base`]);
  let previous = 'base';
  const bundle = `${dir}.bundle`;
  const unpack = async (tag: string) => {
    await fs.rm(bundle, { recursive: true, force: true });
    run('umoci', ['unpack', '--rootless', '--image', `${dir}:${tag}`, bundle]);
    return path.join(bundle, 'rootfs');
  };
  const rootfs = await unpack('base');
  for (const d of ['bin', 'etc', 'opt/app', 'data']) await fs.mkdir(path.join(rootfs, d), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  for (const a of ['sh', 'echo', 'id', 'pwd', 'ls', 'cat', 'true']) await fs.symlink('busybox', path.join(rootfs, 'bin', a));
  await fs.writeFile(path.join(rootfs, 'etc/gone'), 'deleted by an upper layer\n');
  await fs.writeFile(path.join(rootfs, 'opt/app/old'), 'hidden by an opaque directory\n');
  run('umoci', ['repack', '--image', `${dir}:base`, bundle]);
  for (const layer of layers) {
    const tree = await unpack(previous);
    await layer.edit(tree);
    run('umoci', ['repack', '--image', `${dir}:${layer.tag}`, bundle]);
    if (layer.config) run('umoci', ['config', '--image', `${dir}:${layer.tag}`, ...layer.config]);
    previous = layer.tag;
  }
  await fs.rm(bundle, { recursive: true, force: true });
}
