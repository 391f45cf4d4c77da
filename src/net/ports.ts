// A published host port must be free before a pod starts: not published by
// another pod (portmap's rules take no socket, so this is read from their
// network records) and not bound by a process of the host (tried with a
// socket of our own). The error names the port.
import dgram from 'node:dgram';
import net from 'node:net';
import { SprocketError } from '../errors.js';
import { listPodDirs, podDir } from '../pod/dir.js';
import type { PlanPort, PodPlan } from '../../stage1-nspawn/plan.js';
import { publishedPorts } from './pod-network.js';

const describe = (p: PlanPort) => `${p.hostIP ?? '0.0.0.0'}:${p.hostPort}/${p.protocol}`;
const overlaps = (a: PlanPort, b: PlanPort) => a.protocol === b.protocol && a.hostPort === b.hostPort && (!a.hostIP || !b.hostIP || a.hostIP === b.hostIP);

/** Whether a socket of this process can bind the port (so no other socket holds it). */
async function bindable(p: PlanPort): Promise<boolean> {
  const host = p.hostIP ?? '0.0.0.0';
  if (p.protocol === 'udp') {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    return new Promise((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind({ port: p.hostPort, address: host, exclusive: true }, () => socket.close(() => resolve(true)));
    });
  }
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port: p.hostPort, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Refuses the plan's ports that another pod publishes or a host process holds. */
export async function checkHostPorts(stateDir: string, plan: PodPlan): Promise<void> {
  if (!plan.ports.length) return;
  const others = (await listPodDirs(stateDir)).pods.filter((u) => u !== plan.uuid).map((u) => podDir(stateDir, u));
  const taken = await publishedPorts(others);
  for (const p of plan.ports) {
    const by = taken.find((t) => overlaps(t.port, p));
    if (by) throw new SprocketError('conflict', `host port ${describe(p)} (port ${p.name}) is already published by pod ${by.pod}`, { field: '--port', hint: 'publish it on another host port' });
    if (!(await bindable(p))) {
      throw new SprocketError('conflict', `host port ${describe(p)} (port ${p.name}) is in use on the host`, { field: '--port', hint: `see: ss -lnp 'sport = :${p.hostPort}'` });
    }
  }
}
