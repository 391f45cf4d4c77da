// What a killed command or a race could leave behind in a state directory:
// pod directories (also .new- and .rm-), mounts, pod units and machines,
// pod networks, metadata registrations, store leftovers (tmp/, a blob without an image or
// an image without a blob, references), held locks. Used after gc by the
// kill -9 e2e test and by bench/soak.
import { readdir } from 'node:fs/promises';
import path from 'node:path';

export interface StateDirAccess {
  /** The state directory as this process reads it. */
  dir: string;
  /** The same directory as the commands of `run` see it (inside a test host). */
  inHost: string;
  /** Runs a command where sprocket runs; resolves to stdout, rejects unless it exits 0. */
  run(argv: string[]): Promise<string>;
}

/** Every leftover found, one line each: empty when the directory is clean. */
export async function leftovers(s: StateDirAccess): Promise<string[]> {
  const ls = (rel: string) => readdir(path.join(s.dir, rel)).catch(() => [] as string[]);
  const found: string[] = [];
  const report = (what: string, items: string[]) => {
    if (items.length) found.push(`${what}: ${items.join(', ')}`);
  };
  report('pod directories', (await ls('pods')).filter((n) => n !== '.lock'));
  report('mounts', (await s.run(['findmnt', '-rn', '-o', 'TARGET'])).split('\n').filter((m) => m.startsWith(`${s.inHost}/`)));
  const units = await s.run(['systemctl', 'list-units', '--all', '--plain', '--no-legend', 'sprocket-*']);
  report('pod units', units.split('\n').filter((l) => /sprocket-(halt-)?[0-9a-f]{8}-/.test(l)).map((l) => l.split(' ')[0]!));
  report('machines', (await s.run(['machinectl', 'list', '--no-legend'])).split('\n').filter(Boolean));
  report('metadata registrations', await ls('metadata/tokens'));
  report('store temporaries', await ls('images/tmp'));
  const ids = (await ls('images')).filter((n) => n.startsWith('sha512-'));
  const blobs = await ls('images/blobs');
  report('blobs without an image', blobs.filter((b) => !ids.includes(b)));
  report('images without a blob', ids.filter((i) => !blobs.includes(i)));
  for (const id of ids) report(`references on ${id}`, await ls(`images/${id}/refs`));
  // A pod's network (docs/networking.md): namespace, veth, per-pod firewall rules, IPAM lease of the default network.
  const lines = async (script: string) => (await s.run(['sh', '-c', script])).split('\n').filter(Boolean);
  report('network namespaces', (await lines('ls /run/netns 2>/dev/null || true')).filter((n) => n.startsWith('sprocket-')));
  report('veths on a bridge', (await lines('ip -o link show type veth')).filter((l) => l.includes(' master ')).map((l) => l.split(':')[1]!.trim()));
  report('firewall rules of pods', (await lines('iptables-save 2>/dev/null || true')).filter((l) => / id: \\?"[0-9a-f-]{36}/.test(l)));
  report('IPAM leases', (await lines('ls /var/lib/cni/networks/default 2>/dev/null || true')).filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n)));
  // Each lock can be taken at once: nobody holds one.
  const held = await s.run(['sh', '-c', `for f in $(find ${s.inHost} -name lock -o -name .lock -o -name attached); do flock -n "$f" true || echo "$f"; done`]);
  report('held locks', held.split('\n').filter(Boolean));
  return found;
}
