// podman beside sprocket, inside the test host, set up as found to work
// there (docs/performance.md): storage on a tmpfs at /var/lib/containers,
// runtime runc, no pids limit (no pids controller), a busybox image made
// with `podman import`; the pause image of pods is built by podman itself
// (catatonit) on first use. Containers share the host's network, as a
// sprocket pod does by default.
import fs from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../../test/support/command.js';

export const PODMAN_IMAGE = 'localhost/bench-busybox';
const STORAGE = '/var/lib/containers';

/** Runs podman (without INVOCATION_ID, so containers may outlive this service); rejects unless it exits 0. */
export async function podman(args: string[]): Promise<string> {
  const r = await runCommand('env', ['-u', 'INVOCATION_ID', 'podman', ...args]);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

const missing = async (file: string) => fs.access(file).then(() => false, () => true);

/** Sets podman up in this test host; resolves to why podman is skipped, or undefined when it is ready. */
export async function setUpPodman(): Promise<string | undefined> {
  for (const bin of ['/usr/bin/podman', '/usr/sbin/runc', '/usr/bin/catatonit']) {
    if (await missing(bin)) return `${bin} is not installed (scripts/setup installs podman, runc and catatonit)`;
  }
  await fs.mkdir(STORAGE, { recursive: true });
  if ((await runCommand('mountpoint', ['-q', STORAGE])).code !== 0) {
    const m = await runCommand('mount', ['-t', 'tmpfs', '-o', 'mode=0700', 'bench-containers', STORAGE]);
    if (m.code !== 0) return `cannot mount a tmpfs at ${STORAGE}: ${m.stderr.trim()}`;
  }
  await fs.writeFile('/etc/containers/containers.conf', '[containers]\npids_limit = 0\n\n[engine]\nruntime = "runc"\n');
  const rootfs = '/var/lib/sprocket/bench-podman/rootfs';
  await fs.mkdir(path.join(rootfs, 'bin'), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  for (const applet of ['sh', 'echo', 'sleep']) await fs.symlink('busybox', path.join(rootfs, 'bin', applet)).catch(() => undefined);
  const tar = '/var/lib/sprocket/bench-podman/busybox.tar';
  const t = await runCommand('tar', ['-C', rootfs, '-cf', tar, '.']);
  if (t.code !== 0) return `tar: ${t.stderr}`;
  await podman(['import', '--quiet', tar, PODMAN_IMAGE]);
  return undefined;
}

/** Every process of a container: its own (its cgroup) and its conmon. */
export async function containerPids(name: string): Promise<number[]> {
  const [pid, conmon] = (await podman(['inspect', '--format', '{{.State.Pid}} {{.State.ConmonPid}}', name])).trim().split(' ').map(Number);
  const cgroup = (await fs.readFile(`/proc/${pid}/cgroup`, 'utf8')).match(/^0::(.*)$/m)?.[1];
  const inCgroup = cgroup ? (await fs.readFile(path.join('/sys/fs/cgroup', cgroup, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean).map(Number) : [pid!];
  return [...new Set([...inCgroup, conmon!])];
}
