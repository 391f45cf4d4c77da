// CNI network configurations, in rkt's net.d format: one JSON file per
// network in <local-config>/net.d and <system-config>/net.d, either a
// single plugin's configuration (*.conf: name, type, ...) or a CNI
// configuration list (*.conflist: name, plugins). The first definition of a
// name wins: local before system, files in lexical order, then the built-in
// networks default and default-restricted (docs/networking.md).
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { invalid } from '../errors.js';
import { parseJson } from '../spec/issues.js';
import { NetworkName } from '../../stage1-nspawn/plan.js';

/** Where sprocket looks for CNI plugins (CNI_PATH): Debian's containernetworking-plugins, then the CNI default. */
export const CNI_PATH = ['/usr/lib/cni', '/opt/cni/bin'];
/** The CNI version of the configurations sprocket writes itself. */
export const CNI_VERSION = '1.0.0';

/** One plugin of a network: type names its binary; the rest is the plugin's own. */
export const PluginConfig = z.looseObject({
  type: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a plugin name (a file in the CNI path)'),
  capabilities: z.record(z.string(), z.boolean()).optional(),
});
export type PluginConfig = z.infer<typeof PluginConfig>;

/** A network as sprocket runs it: a CNI configuration list. */
export const NetworkConfig = z.object({
  cniVersion: z.string().default(CNI_VERSION),
  name: NetworkName,
  plugins: z.array(PluginConfig).min(1),
  /** Where it was defined (a file, or "built-in"). */
  source: z.string(),
});
export type NetworkConfig = z.infer<typeof NetworkConfig>;

const ConfFile = z.looseObject({ cniVersion: z.string().optional(), name: NetworkName, type: PluginConfig.shape.type });
const ConfListFile = z.looseObject({ cniVersion: z.string().optional(), name: NetworkName, plugins: z.array(PluginConfig).min(1) });

/**
 * The built-in networks (an operator's file of the same name replaces one).
 * default: a bridge with the host as gateway, addresses from a private range,
 * masqueraded to the outside, ports published by portmap (snat: also on
 * 127.0.0.1 and from other pods). default-restricted: the same without a
 * default route or masquerading: the pod reaches the host only.
 */
export const BUILT_IN: NetworkConfig[] = [
  bridgeNetwork('default', 'sprocket0', '10.225.0.0/16', true),
  bridgeNetwork('default-restricted', 'sprocket1', '10.226.0.0/16', false),
];

function bridgeNetwork(name: string, bridge: string, subnet: string, outside: boolean): NetworkConfig {
  return {
    cniVersion: CNI_VERSION,
    name,
    source: 'built-in',
    plugins: [
      {
        type: 'bridge', bridge, isGateway: true, ipMasq: outside, hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: outside ? [{ dst: '0.0.0.0/0' }] : [] },
      },
      { type: 'portmap', snat: true, capabilities: { portMappings: true } },
    ],
  };
}

/** The net.d directories, in order of precedence. */
export const netDirs = (localConfig: string, systemConfig: string) => [path.join(localConfig, 'net.d'), path.join(systemConfig, 'net.d')];

/** Reads one net.d file: a .conf (one plugin) or .conflist. */
export async function readNetworkFile(file: string): Promise<NetworkConfig> {
  const text = await fs.readFile(file).catch((e: Error) => {
    throw invalid(`cannot read the network configuration: ${e.message}`, { file });
  });
  if (file.endsWith('.conflist')) {
    const { cniVersion, name, plugins } = parseJson(ConfListFile, text, file);
    return { cniVersion: cniVersion ?? CNI_VERSION, name, plugins, source: file };
  }
  const { cniVersion, name, ...plugin } = parseJson(ConfFile, text, file);
  return { cniVersion: cniVersion ?? CNI_VERSION, name, plugins: [plugin], source: file };
}

/** Every network: the files of `dirs` (first definition of a name wins), then the built-in ones. */
export async function loadNetworks(dirs: string[]): Promise<Map<string, NetworkConfig>> {
  const networks = new Map<string, NetworkConfig>();
  for (const dir of dirs) {
    const names = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw invalid(`cannot read the network configurations: ${e.message}`, { file: dir });
    });
    for (const name of names.filter((n) => /\.(conf|conflist|json)$/.test(n)).sort()) {
      const config = await readNetworkFile(path.join(dir, name));
      if (!networks.has(config.name)) networks.set(config.name, config);
    }
  }
  for (const config of BUILT_IN) if (!networks.has(config.name)) networks.set(config.name, config);
  return networks;
}

/** The plugin binary of `type` in the CNI path, undefined if there is none. */
export async function findPlugin(type: string): Promise<string | undefined> {
  for (const dir of CNI_PATH) {
    const file = path.join(dir, type);
    if (await fs.access(file, fs.constants.X_OK).then(() => true, () => false)) return file;
  }
  return undefined;
}

/** Checks that every plugin of `config` is installed; the error names the file and the plugin. */
export async function requirePlugins(config: NetworkConfig): Promise<void> {
  for (const [i, p] of config.plugins.entries()) {
    if (!(await findPlugin(p.type))) {
      throw invalid(`network ${config.name}: no CNI plugin ${p.type} in ${CNI_PATH.join(' or ')}`, {
        file: config.source, field: `plugins[${i}].type`, hint: 'install containernetworking-plugins, or fix the type',
      });
    }
  }
}
