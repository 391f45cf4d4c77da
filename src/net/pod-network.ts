// A pod's network, set up before its nspawn starts and torn down when it has
// ended: the entry points setUpPodNetwork(plan) and tearDownPodNetwork(podDir).
// A contained pod gets its namespace (/run/netns/sprocket-<uuid>) and each of
// its CNI networks' ADD chain run into it (eth0, eth1 ...); every pod gets
// its hosts and resolv.conf (pod-files.ts). What was set up is recorded in
// pods/<uuid>/networks.json *before* it is made, so a teardown after a crash
// at any step (the pod's end, gc) knows what to DEL: the same configuration,
// the result of the ADD as prevResult when there was one. CNI's DEL is
// idempotent: a plugin deletes what it finds. The record goes once the
// teardown succeeded; a failed teardown keeps it for the next try.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SprocketError, usage } from '../errors.js';
import { withLock } from '../pod/lock.js';
import { writeAtomically } from '../pod/state.js';
import { PlanPort, type PodPlan } from '../../stage1-nspawn/plan.js';
import { addNetwork, delNetwork, pluginInputs, type CniTarget } from './cni.js';
import { loadNetworks, requirePlugins, type NetworkConfig } from './config.js';
import { addNetns, deleteNetns, netnsExists, podNetnsPath } from './netns.js';
import { networksFile, recordInterfaces } from './interfaces.js';
import { writePodFiles } from './pod-files.js';
import type { PodNetworkStatus } from '../pod/state-schema.js';

const lockFileOf = (podDir: string) => path.join(podDir, 'networks.lock');

const NetworkRecord = z.object({
  uuid: z.string(),
  netns: z.string(),
  networks: z.array(z.object({
    name: z.string(),
    ifname: z.string(),
    args: z.array(z.tuple([z.string(), z.string()])),
    /** Each plugin's configuration as given to ADD (runtimeConfig included), without prevResult. */
    plugins: z.array(z.record(z.string(), z.unknown())),
    /** The ADD chain's result, once it succeeded. */
    result: z.unknown().optional(),
  })),
  ports: z.array(PlanPort),
});
type NetworkRecord = z.infer<typeof NetworkRecord>;


/** Where the network configurations are read: rkt's net.d directories (config.ts netDirs). */
export interface NetworkSources {
  netDirs: string[];
}

/** The configurations of the plan's networks, each plugin installed; an unknown name is an error naming --net. */
export async function planNetworkConfigs(plan: PodPlan, sources: NetworkSources): Promise<NetworkConfig[]> {
  if (plan.network !== 'contained') return [];
  const known = await loadNetworks(sources.netDirs);
  return Promise.all(plan.networks.map(async (n) => {
    const config = known.get(n.name);
    if (!config) {
      throw usage(`no network named ${n.name}`, { field: '--net', hint: `networks: ${[...known.keys()].join(', ')}; define others in ${sources.netDirs.join(' or ')}` });
    }
    await requirePlugins(config);
    return config;
  }));
}

/**
 * Sets up the network of `plan`'s pod; resolves to its interfaces. On a
 * failure, what was made is torn down again before the error is thrown.
 */
export async function setUpPodNetwork(plan: PodPlan, sources: NetworkSources): Promise<PodNetworkStatus[]> {
  const configs = await planNetworkConfigs(plan, sources);
  if (plan.network !== 'contained') {
    await writePodFiles(plan, undefined);
    return [];
  }
  const portMappings = plan.ports.map((p) => ({ hostPort: p.hostPort, containerPort: p.podPort, protocol: p.protocol, ...(p.hostIP ? { hostIP: p.hostIP } : {}) }));
  const record: NetworkRecord = {
    uuid: plan.uuid,
    netns: podNetnsPath(plan.uuid),
    networks: plan.networks.map((n, i) => ({
      name: n.name, ifname: `eth${i}`, args: n.args, plugins: pluginInputs(configs[i]!, { portMappings }),
    })),
    ports: plan.ports,
  };
  const file = networksFile(plan.podDir);
  const interfaces = await withLock(lockFileOf(plan.podDir), async () => {
    // Recorded before anything is made: a teardown after a crash at any step finds it.
    await writeAtomically(file, JSON.stringify(record));
    try {
      await addNetns(plan.uuid);
      for (const n of record.networks) {
        n.result = await addNetwork(n.plugins, target(record, n), n.name);
        await writeAtomically(file, JSON.stringify(record));
      }
    } catch (e) {
      await tearDownRecord(plan.podDir, record).catch(() => undefined);
      throw e;
    }
    return recordInterfaces(record.networks);
  });
  await writePodFiles(plan, interfaces[0]?.ip).catch(async (e: unknown) => {
    await tearDownPodNetwork(plan.podDir).catch(() => undefined);
    throw e;
  });
  return interfaces;
}

/** Tears down what setUpPodNetwork made for the pod in `podDir` (nothing if there is no record). */
export async function tearDownPodNetwork(podDir: string): Promise<void> {
  const file = networksFile(podDir);
  if (!(await fs.access(file).then(() => true, () => false))) return;
  await withLock(lockFileOf(podDir), async () => {
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) return; // torn down meanwhile
    const r = NetworkRecord.safeParse(JSON.parse(text));
    if (!r.success) throw new SprocketError('invalid', `not a network record: ${r.error.issues[0]!.message}`, { file, hint: 'delete the namespace with ip netns delete, then the file' });
    await tearDownRecord(podDir, r.data);
  });
}

async function tearDownRecord(podDir: string, record: NetworkRecord): Promise<void> {
  let failure: unknown;
  const present = await netnsExists(record.uuid);
  for (const n of [...record.networks].reverse()) {
    // A namespace that is gone already is no reason not to release the rest (CNI: CNI_NETNS may be empty on DEL).
    await delNetwork(n.plugins, n.result, { ...target(record, n), netns: present ? record.netns : '' }, n.name).catch((e: unknown) => {
      failure ??= e;
    });
  }
  if (failure) throw failure;
  await deleteNetns(record.uuid);
  await fs.rm(networksFile(podDir), { force: true });
}

const target = (record: NetworkRecord, n: NetworkRecord['networks'][number]): CniTarget => ({
  containerId: record.uuid, netns: record.netns, ifname: n.ifname, args: n.args,
});

/** The ports published by pods whose network is up, with their pod (for the check of a new pod's ports). */
export async function publishedPorts(podDirs: string[]): Promise<{ pod: string; port: PlanPort }[]> {
  const out: { pod: string; port: PlanPort }[] = [];
  for (const dir of podDirs) {
    const text = await fs.readFile(networksFile(dir), 'utf8').catch(() => undefined);
    if (!text) continue;
    try {
      const record = JSON.parse(text) as Partial<NetworkRecord>;
      for (const port of record.ports ?? []) out.push({ pod: path.basename(dir), port });
    } catch {
      // a record being replaced: rename is atomic, so this is a hand-made file; its pod's own teardown says so
    }
  }
  return out;
}
