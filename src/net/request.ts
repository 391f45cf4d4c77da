// The network flags of run, prepare and run-prepared (rkt's): --net,
// --port, --dns, --dns-search, --dns-opt, --hostname, --hosts-entry. Each
// value is checked as it is parsed; the error names the flag.
import { z } from 'zod';
import { usage } from '../errors.js';
import { issueMessage } from '../spec/issues.js';
import type { NetFlag } from './flags.js';
import { DnsOption, HostName, HostsEntry, IpAddress, NetworkName, PlanDns, PlanHosts, PlanNetwork } from '../../stage1-nspawn/plan.js';

/** A --port before it is matched with an app's port. */
export const PortRequest = z.object({ name: z.string(), hostPort: z.number().int(), hostIP: z.string().optional() });
export type PortRequest = z.infer<typeof PortRequest>;

/** What the network flags asked for; absent: not given (run-prepared keeps what prepare chose). */
export const NetRequest = z.object({
  network: z.object({ mode: z.enum(['host', 'none', 'contained']), networks: z.array(PlanNetwork) }).optional(),
  ports: z.array(PortRequest).optional(),
  dns: PlanDns.pick({ mode: true, servers: true }).optional(),
  dnsSearch: z.array(z.string()).optional(),
  dnsOpt: z.array(z.string()).optional(),
  hostname: z.string().optional(),
  hosts: PlanHosts.optional(),
});
export type NetRequest = z.infer<typeof NetRequest>;


function checked<S extends z.ZodType>(schema: S, input: unknown, flag: string, what: string): z.output<S> {
  const r = schema.safeParse(input, { reportInput: true });
  if (r.success) return r.data;
  throw usage(`${what}: ${issueMessage(r.error.issues[0]!)}`, { field: flag });
}

/** Adds one network flag's value to `req`: all take a value and may be repeated (--net and --hostname: the last counts). */
export function addNetFlag(req: NetRequest, flag: NetFlag, value: string): void {
  switch (flag) {
    case '--net': req.network = parseNet(value); break;
    case '--port': req.ports = [...(req.ports ?? []), parsePort(value)]; break;
    case '--dns': req.dns = addDns(req.dns, value); break;
    case '--dns-search': req.dnsSearch = [...(req.dnsSearch ?? []), checked(HostName, value, flag, `"${value}"`)]; break;
    case '--dns-opt': req.dnsOpt = [...(req.dnsOpt ?? []), checked(DnsOption, value, flag, `"${value}"`)]; break;
    case '--hostname': req.hostname = checked(HostName.max(64), value, flag, `"${value}"`); break;
    case '--hosts-entry': req.hosts = addHostsEntry(req.hosts, value); break;
  }
}

/** `host`, `none`, or `NAME[:K=V[;K=V]...][,NAME...]` (`default` and `default-restricted` are networks too). */
function parseNet(value: string): NonNullable<NetRequest['network']> {
  const flag = '--net';
  if (value === 'host' || value === 'none') return { mode: value, networks: [] };
  const networks = value.split(',').map((part) => {
    const colon = part.indexOf(':');
    const name = colon < 0 ? part : part.slice(0, colon);
    if (name === 'host' || name === 'none') throw usage(`--net=${name} cannot be combined with other networks`, { field: flag });
    checked(NetworkName, name, flag, `network "${name}"`);
    const args = colon < 0 ? [] : part.slice(colon + 1).split(';').filter(Boolean).map((kv): [string, string] => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw usage(`network ${name}: expected CNI arguments KEY=VALUE;KEY=VALUE, got "${kv}"`, { field: flag });
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    });
    return checked(PlanNetwork, { name, args }, flag, `network ${name}`);
  });
  const names = networks.map((n) => n.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw usage(`network ${twice} given twice`, { field: flag });
  return { mode: 'contained', networks };
}

/** `NAME:[HOSTIP:]HOSTPORT` */
function parsePort(value: string): PortRequest {
  const m = /^([^:]+):(?:([^:]+):)?(\d+)$/.exec(value);
  if (!m) throw usage(`expected NAME:[HOSTIP:]HOSTPORT (like http:8080 or http:127.0.0.1:8080), got "${value}"`, { field: '--port' });
  const hostPort = Number(m[3]);
  if (hostPort < 1 || hostPort > 65535) throw usage(`host port ${m[3]} is not a port number (1..65535)`, { field: '--port' });
  if (m[2] !== undefined) checked(z.ipv4({ error: 'is not an IPv4 address' }), m[2], '--port', `host IP "${m[2]}"`);
  return { name: m[1]!, hostPort, ...(m[2] !== undefined ? { hostIP: m[2] } : {}) };
}

/** `host`, `none` or a server's IP; host and none stand alone. */
function addDns(dns: NetRequest['dns'], value: string): NonNullable<NetRequest['dns']> {
  const flag = '--dns';
  if (value === 'host' || value === 'none') {
    if (dns) throw usage(`--dns=${value} cannot be combined with other --dns values`, { field: flag });
    return { mode: value, servers: [] };
  }
  if (dns && dns.mode !== 'given') throw usage(`--dns=${dns.mode} cannot be combined with other --dns values`, { field: flag });
  const server = checked(IpAddress, value, flag, `"${value}"`);
  return { mode: 'given', servers: [...(dns?.servers ?? []), server] };
}

/** `IP=NAME` or `host` (the host's /etc/hosts). */
function addHostsEntry(hosts: NetRequest['hosts'], value: string): NonNullable<NetRequest['hosts']> {
  const current = hosts ?? { fromHost: false, entries: [] };
  if (value === 'host') return { ...current, fromHost: true };
  const eq = value.indexOf('=');
  if (eq <= 0) throw usage(`expected IP=NAME or host, got "${value}"`, { field: '--hosts-entry' });
  const entry = checked(HostsEntry, { ip: value.slice(0, eq), name: value.slice(eq + 1) }, '--hosts-entry', `"${value}"`);
  return { ...current, entries: [...current.entries, entry] };
}
