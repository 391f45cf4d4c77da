// Runs CNI plugins as the CNI specification says: the network configuration
// on stdin (with prevResult in a chain, runtimeConfig for the capabilities a
// plugin declares), the rest in CNI_* variables, the result (or an error
// object) on stdout. ADD runs a network's plugins in order, each given the
// result of the one before; DEL runs them in reverse with the final result.
import { spawn } from 'node:child_process';
import { SprocketError } from '../errors.js';
import { CNI_PATH, findPlugin, type NetworkConfig, type PluginConfig } from './config.js';

/** How long one plugin may run. */
const PLUGIN_TIMEOUT_MS = 60_000;

/** What a plugin is run for: the pod (container ID), its namespace, its interface. */
export interface CniTarget {
  containerId: string;
  /** Path of the network namespace (/run/netns/NAME); empty on a DEL whose namespace is gone. */
  netns: string;
  ifname: string;
  /** CNI_ARGS pairs. */
  args: [string, string][];
}

/** The JSON each plugin of `config` gets (without prevResult), runtimeConfig filled for the capabilities it declares. */
export function pluginInputs(config: NetworkConfig, runtime: Record<string, unknown>): Record<string, unknown>[] {
  return config.plugins.map((p: PluginConfig) => {
    const { capabilities, ...rest } = p;
    const wanted = Object.entries(capabilities ?? {}).filter(([k, on]) => on && runtime[k] !== undefined);
    return {
      cniVersion: config.cniVersion, name: config.name, ...rest,
      ...(capabilities ? { capabilities } : {}),
      ...(wanted.length ? { runtimeConfig: Object.fromEntries(wanted.map(([k]) => [k, runtime[k]])) } : {}),
    };
  });
}

/** CNI_ARGS: IgnoreUnknown=1 first, so that a plugin does not refuse the keys meant for another. */
export const cniArgs = (args: [string, string][]) => [['IgnoreUnknown', '1'], ...args].map(([k, v]) => `${k}=${v}`).join(';');

/** Runs one plugin; resolves to its parsed stdout (undefined when empty). */
export async function runPlugin(command: 'ADD' | 'DEL', input: Record<string, unknown>, target: CniTarget, network: string): Promise<unknown> {
  const type = String(input.type);
  const file = await findPlugin(type);
  if (!file) throw new SprocketError('not-found', `network ${network}: no CNI plugin ${type} in ${CNI_PATH.join(' or ')}`, { hint: 'install containernetworking-plugins' });
  const env = {
    ...process.env,
    CNI_COMMAND: command,
    CNI_CONTAINERID: target.containerId,
    CNI_NETNS: target.netns,
    CNI_IFNAME: target.ifname,
    CNI_ARGS: cniArgs(target.args),
    CNI_PATH: CNI_PATH.join(':'),
  };
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(file, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), PLUGIN_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new SprocketError('io', `network ${network}: cannot run CNI plugin ${type}: ${e.message}`, { file }));
    });
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(input));
  });
  if (code !== 0) {
    let message = stderr.trim() || `exit status ${code ?? 'killed (timeout)'}`;
    try {
      const e = JSON.parse(stdout) as { msg?: string; details?: string; code?: number };
      if (e.msg) message = `${e.msg}${e.details ? `: ${e.details}` : ''} (CNI error ${e.code})`;
    } catch {
      // not a CNI error object: stderr (or the status) says it
    }
    throw new SprocketError('runtime', `network ${network}: CNI ${command} of plugin ${type} failed: ${message}`, { file });
  }
  if (!stdout.trim()) return undefined;
  try {
    return JSON.parse(stdout);
  } catch {
    throw new SprocketError('runtime', `network ${network}: CNI plugin ${type} printed no JSON result`, { file });
  }
}

/** ADD of a network's chain; resolves to the final result. Stops at the first failure (the caller runs DEL). */
export async function addNetwork(inputs: Record<string, unknown>[], target: CniTarget, network: string): Promise<unknown> {
  let prevResult: unknown;
  for (const input of inputs) {
    prevResult = await runPlugin('ADD', prevResult === undefined ? input : { ...input, prevResult }, target, network);
  }
  return prevResult;
}

/**
 * DEL of a network's chain in reverse order, every plugin tried; throws the
 * first failure afterwards. A plugin whose DEL fails is asked once more:
 * bridge (containernetworking-plugins 1.1) releases the link and the address
 * first and then fails on a masquerading chain that an interrupted ADD never
 * made (its iptables library misreads iptables-nft's "does not exist", exit
 * status 2); asked again, it finds no link and succeeds.
 */
export async function delNetwork(inputs: Record<string, unknown>[], result: unknown, target: CniTarget, network: string): Promise<void> {
  let failure: unknown;
  for (const input of [...inputs].reverse()) {
    const del = () => runPlugin('DEL', result === undefined ? input : { ...input, prevResult: result }, target, network);
    await del().catch(del).catch((e: unknown) => {
      failure ??= e;
    });
  }
  if (failure) throw failure;
}
