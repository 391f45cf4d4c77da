// A contained pod's interfaces as status and list show them
// (`networks=default:eth0:10.225.0.5`), read from its network record
// without zod: list reads it for every running pod (docs/performance.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PodNetworkStatus } from '../pod/state-schema.js';

/** The file name of a contained pod's network record. */
export const NETWORK_RECORD = 'networks.json';

/** pods/<uuid>/networks.json: what a contained pod's network is made of (pod-network.ts). */
export const networksFile = (podDir: string) => path.join(podDir, NETWORK_RECORD);

/** The fields of a network record read here. */
export interface RecordedNetwork {
  name: string;
  ifname: string;
  result?: unknown;
}

interface CniResult {
  interfaces?: { name?: string }[];
  ips?: { address?: string; interface?: number }[];
}

/** The pod's address on each network, from the ADD results (CNI 1.0: ips[].interface indexes interfaces). */
export function recordInterfaces(networks: RecordedNetwork[]): PodNetworkStatus[] {
  return networks.map((n) => {
    const result = (n.result ?? {}) as CniResult;
    const ips = result.ips ?? [];
    const own = ips.find((ip) => ip.interface !== undefined && result.interfaces?.[ip.interface]?.name === n.ifname) ?? ips[0];
    const ip = own?.address?.split('/')[0];
    return { network: n.name, interface: n.ifname, ...(ip ? { ip } : {}) };
  });
}

/** The interfaces of a pod whose network is up; empty without a record. */
export function podInterfaces(podDir: string): PodNetworkStatus[] {
  try {
    const record = JSON.parse(readFileSync(networksFile(podDir), 'utf8')) as { networks?: RecordedNetwork[] };
    return Array.isArray(record.networks) ? recordInterfaces(record.networks) : [];
  } catch {
    return [];
  }
}
