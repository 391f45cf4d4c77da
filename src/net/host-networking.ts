// The pods' networks on this host (PodNetworking of src/pod/context.ts), as
// the CLI gives them to the pod operations: configurations from rkt's net.d
// directories, teardown at the pod's end by `sprocket network-teardown`.
import type { PodNetworking } from '../pod/context.js';
import { netDirs } from './config.js';
import { setUpPodNetwork, tearDownPodNetwork, planNetworkConfigs } from './pod-network.js';
import { checkHostPorts } from './ports.js';

export interface HostNetworkingOptions {
  stateDir: string;
  localConfig: string;
  systemConfig: string;
  /** node and the CLI's script: the command line of this sprocket. */
  self: string[];
}

export function hostNetworking(opts: HostNetworkingOptions): PodNetworking {
  const sources = { netDirs: netDirs(opts.localConfig, opts.systemConfig) };
  return {
    check: async (plan) => void (await planNetworkConfigs(plan, sources)),
    checkPorts: (plan) => checkHostPorts(opts.stateDir, plan),
    setUp: async (plan) => void (await setUpPodNetwork(plan, sources)),
    tearDown: (podDir) => tearDownPodNetwork(podDir),
    tearDownCommand: async (uuid) => [...opts.self, '--dir', opts.stateDir, 'network-teardown', uuid],
  };
}
