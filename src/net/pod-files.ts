// The pod's /etc/hosts and /etc/resolv.conf, written into its stage1 root
// when its network is set up (the host file needs the pod's address) and
// bound read-only into every app's root (stage1-nspawn/app-unit.ts): every
// app sees the same two files, the images' own stay untouched.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { POD_HOSTS, POD_RESOLV_CONF } from '../../stage1-nspawn/app-unit.js';
import { planHostname, type PodPlan } from '../../stage1-nspawn/plan.js';

const HOST_RESOLV_CONF = '/etc/resolv.conf';
/** systemd-resolved's list of the upstream servers it uses (its stub at 127.0.0.53 is in the host's file). */
const RESOLVED_UPSTREAM = '/run/systemd/resolve/resolv.conf';
const HOST_HOSTS = '/etc/hosts';

const readIfThere = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};
const isLoopbackServer = (line: string) => /^\s*nameserver\s+(127\.|::1\s*$)/.test(line);

/**
 * The host's resolv.conf; `upstream`: as seen from a network of its own,
 * where the host's loopback (systemd-resolved's 127.0.0.53) is not: resolved's
 * upstream servers instead, or the file without its loopback servers.
 */
async function hostResolvConf(upstream: boolean): Promise<string> {
  const text = await readIfThere(HOST_RESOLV_CONF);
  if (!upstream || !text.split('\n').some(isLoopbackServer)) return text;
  const resolved = await readIfThere(RESOLVED_UPSTREAM);
  if (resolved.trim()) return resolved;
  return text.split('\n').filter((l) => !isLoopbackServer(l)).join('\n');
}

/** The pod's resolv.conf; undefined for --dns=none (the apps keep their images' own). */
export async function resolvConf(plan: PodPlan): Promise<string | undefined> {
  const { dns } = plan;
  if (dns.mode === 'none') return undefined;
  let lines = (dns.mode === 'given' ? dns.servers.map((s) => `nameserver ${s}`) : (await hostResolvConf(dns.mode === 'host' || plan.network !== 'host')).split('\n'))
    .filter((l) => l.trim());
  if (dns.search.length) lines = [...lines.filter((l) => !/^\s*(search|domain)\s/.test(l)), `search ${dns.search.join(' ')}`];
  if (dns.options.length) lines = [...lines.filter((l) => !/^\s*options\s/.test(l)), `options ${dns.options.join(' ')}`];
  return `${lines.join('\n')}\n`;
}

/** The pod's hosts file: localhost (or the host's file), the pod's name on its address (127.0.1.1 without one), the entries. */
export async function hostsFile(plan: PodPlan, address: string | undefined): Promise<string> {
  const head = plan.hosts.fromHost ? await readIfThere(HOST_HOSTS) : '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
  const lines = [head.trimEnd(), `${address ?? '127.0.1.1'}\t${planHostname(plan)}`, ...plan.hosts.entries.map((e) => `${e.ip}\t${e.name}`)];
  return `${lines.filter(Boolean).join('\n')}\n`;
}

/**
 * Writes both files into the pod's stage1 root (resolv.conf removed for
 * --dns=none). Synchronously, as the rest of the stage1 root: small files on
 * the way to the pod's start (docs/performance.md).
 */
export async function writePodFiles(plan: PodPlan, address: string | undefined): Promise<void> {
  const at = (p: string) => path.join(plan.stage1Root, p);
  mkdirSync(path.dirname(at(POD_HOSTS)), { recursive: true });
  writeFileSync(at(POD_HOSTS), await hostsFile(plan, address), { mode: 0o644 });
  const resolv = await resolvConf(plan);
  if (resolv === undefined) rmSync(at(POD_RESOLV_CONF), { force: true });
  else writeFileSync(at(POD_RESOLV_CONF), resolv, { mode: 0o644 });
}
