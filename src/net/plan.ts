// The network part of the pod plan: the network flags (request.ts) and a
// pod manifest's ports applied to a plan. prepare starts from the default
// (the contained network `default`); run-prepared applies its own flags over
// what prepare chose. Published ports are matched with the ports the apps
// declare; every mismatch is an error naming the flag.
import { usage } from '../errors.js';
import type { PodManifest } from '../spec/index.js';
import { parsePodPlan, type PlanApp, type PlanPort, type PodPlan } from '../../stage1-nspawn/plan.js';
import type { NetRequest, PortRequest } from './request.js';

/** What a pod gets without --net: its own namespace on the network named default. */
export const DEFAULT_NETWORK = { network: 'contained', networks: [{ name: 'default', args: [] }] } as const satisfies Partial<PodPlan>;

/** A pod manifest's ports, as --port requests (a later --port of the same name replaces one). */
export const exposedPorts = (manifest: PodManifest): PortRequest[] =>
  (manifest.ports ?? []).map((p) => ({ name: p.name, hostPort: p.hostPort, ...(p.hostIP ? { hostIP: p.hostIP } : {}) }));

/** `plan` with the network flags of `req` applied (and the manifest's `exposed` ports, below --port). */
export function withNetRequest(plan: PodPlan, req: NetRequest, opts: { source: string; exposed?: PortRequest[] }): PodPlan {
  const { mode, networks } = req.network ?? { mode: plan.network, networks: plan.networks };
  if (mode === 'host' && plan.isolation.sysctls.some((s) => s.key.startsWith('net.'))) {
    throw usage('the pod sets net.* sysctls, which --net=host would set on the host', { field: '--net' });
  }
  const flags = req.ports ?? [];
  const requests = [...(opts.exposed ?? []).filter((e) => !flags.some((f) => f.name === e.name)), ...flags];
  // An inline pod's socket-activated ports are its service's sockets (host socket activation, docs/units.md), not the network's.
  const inline = plan.invocation !== undefined;
  const resolved = requests.length || req.ports ? resolvePorts(plan.apps, requests, mode, inline) : undefined;
  const fromService = (p: PlanPort) => inline && isSocketActivatedPort(plan.apps, p.name);
  const ports = resolved?.filter((p) => !fromService(p)) ?? plan.ports;
  if (ports.length && mode !== 'contained') throw usage(`the pod publishes ports, which needs a network of its own, not --net=${mode}`, { field: '--net' });
  return parsePodPlan({
    ...plan,
    network: mode,
    networks,
    ports,
    hostSockets: resolved?.filter(fromService) ?? plan.hostSockets,
    dns: {
      ...(req.dns ?? { mode: plan.dns.mode, servers: plan.dns.servers }),
      search: req.dnsSearch ?? plan.dns.search,
      options: req.dnsOpt ?? plan.dns.options,
    },
    hosts: req.hosts ?? plan.hosts,
    ...(req.hostname ?? plan.hostname ? { hostname: req.hostname ?? plan.hostname } : {}),
  }, opts.source);
}

const key = (p: PlanPort) => `${p.hostPort}/${p.protocol}`;

/** Whether app port `name` is socket-activated. */
const isSocketActivatedPort = (apps: PlanApp[], name: string) => apps.some((a) => a.ports.some((p) => p.name === name && p.socketActivated));

/**
 * Each request matched with the one app port of its name: count ports from
 * hostPort on. An inline pod (`inline`) publishes a socket-activated port
 * as its service's socket, on any network it has.
 */
export function resolvePorts(apps: PlanApp[], requests: PortRequest[], mode: PodPlan['network'], inline = false): PlanPort[] {
  const flag = '--port';
  const throughNetwork = requests.filter((r) => !(inline && isSocketActivatedPort(apps, r.name)));
  if (throughNetwork.length && mode !== 'contained') {
    throw usage(`--port publishes ports of a pod's own network, not of --net=${mode}`, { field: flag, ...(inline ? { hint: 'an inline pod on the host\'s network publishes socket-activated ports alone, as its service\'s socket (docs/units.md)' } : {}) });
  }
  const declared = apps.flatMap((a) => a.ports.map((p) => ({ app: a.name, ...p })));
  const ports: PlanPort[] = [];
  for (const r of requests) {
    const found = declared.filter((p) => p.name === r.name);
    const names = [...new Set(declared.map((p) => p.name))];
    if (!found.length) {
      throw usage(`no app declares a port named ${r.name}`, { field: flag, hint: names.length ? `the apps' ports: ${names.join(', ')}` : 'the images declare no ports (app.ports)' });
    }
    if (found.length > 1) throw usage(`port ${r.name} is declared by apps ${found.map((p) => p.app).join(' and ')}: publish it from a pod manifest`, { field: flag });
    const p = found[0]!;
    const protocol = p.protocol.toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp') throw usage(`port ${r.name} of app ${p.app} is ${p.protocol}: only tcp and udp can be published`, { field: flag });
    if (r.hostPort + p.count - 1 > 65535) throw usage(`port ${r.name} is ${p.count} ports: from host port ${r.hostPort} they go past 65535`, { field: flag });
    for (let k = 0; k < p.count; k++) {
      const port: PlanPort = { name: r.name, protocol, podPort: p.port + k, hostPort: r.hostPort + k, ...(r.hostIP ? { hostIP: r.hostIP } : {}) };
      const clash = ports.find((q) => key(q) === key(port) && (!q.hostIP || !port.hostIP || q.hostIP === port.hostIP));
      if (clash) throw usage(`host port ${key(port)} is published twice (ports ${clash.name} and ${r.name})`, { field: flag });
      ports.push(port);
    }
  }
  return ports;
}
