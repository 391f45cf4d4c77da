// For end-to-end tests of pods: a busybox image fetched into a test host's
// store, and the sprocket CLI run inside the host.
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CHECKOUT, type ExecOptions, type ExecResult, type Host } from './host.js';
import { runCommand } from './command.js';

export const CLI = path.join(CHECKOUT, 'dist/src/cli/main.js');
/** /var/lib/sprocket inside the host. */
export const IN_HOST = '/var/lib/sprocket';
const APPLETS = ['sh', 'echo', 'sleep', 'cat', 'ps', 'touch', 'id', 'kill', 'ls', 'true', 'false'];

/** Runs `sprocket ARGS` inside the host. */
export const sprocket = (host: Host, args: string[], opts?: ExecOptions): Promise<ExecResult> => host.exec(['node', CLI, ...args], opts);

/** Like sprocket(), but rejects unless it exits 0; resolves to stdout. */
export async function sprocketOk(host: Host, args: string[]): Promise<string> {
  const r = await sprocket(host, args);
  if (r.code !== 0) throw new Error(`sprocket ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The path on this machine of a path inside the host's state directory. */
export const onMachine = (host: Host, inHost: string) => path.join(host.stateDir, path.relative(IN_HOST, inHost));

/**
 * Builds a busybox ACI named `name` (user www = 33, group webgrp = 34, an
 * /srv directory) with `manifest` merged in, the symbolic `links` (path
 * in the rootfs to target) and the `files` (path in the rootfs to a file of
 * this machine, copied with its mode) added, and fetches it into the host's store.
 */
export async function busyboxImage(host: Host, name: string, manifest: Record<string, unknown> = {}, links: Record<string, string> = {}, files: Record<string, string> = {}): Promise<void> {
  const layout = onMachine(host, `${IN_HOST}/layouts/${name.replaceAll('/', '_')}`);
  const rootfs = path.join(layout, 'rootfs');
  for (const d of ['bin', 'etc', 'srv', 'tmp']) await mkdir(path.join(rootfs, d), { recursive: true });
  await copyFile('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  for (const a of APPLETS) await symlink('busybox', path.join(rootfs, 'bin', a));
  for (const [p, target] of Object.entries(links)) await symlink(target, path.join(rootfs, p));
  for (const [p, source] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(rootfs, p)), { recursive: true });
    await copyFile(source, path.join(rootfs, p));
  }
  await writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\nwww:x:33:34::/srv:/bin/sh\n');
  await writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\nwebgrp:x:34:\n');
  await writeFile(path.join(layout, 'manifest'), JSON.stringify({
    acKind: 'ImageManifest', acVersion: '0.8.11', name,
    app: { exec: ['/bin/true'], user: 'www', group: 'webgrp' },
    ...manifest,
  }));
  const aci = `${layout}.aci`;
  const build = await runCommand(process.execPath, [CLI, 'image', 'build', '--no-compression', '--owner-root', layout, aci]);
  if (build.code !== 0) throw new Error(`image build failed: ${build.stderr}`);
  await sprocketOk(host, ['fetch', '--insecure-options=image', path.join(IN_HOST, path.relative(host.stateDir, aci))]);
}

export const podStatusJson = async (host: Host, pod: string) => JSON.parse(await sprocketOk(host, ['status', '--format', 'json', pod])) as {
  uuid: string; state: string; pid?: number; attached?: boolean; exitStatus?: number; unit: string; machine: string; note?: string;
  apps: { name: string; state: string; exitStatus?: number; signal?: string }[];
};
