// Global options shared by every command, read once into one value.
import { Command, Option } from 'commander';
import { PULL_POLICIES, type PullPolicy } from '../image/pull-policy.js';

export const DEFAULT_DIR = '/var/lib/sprocket';
export const DEFAULT_CONFIG_DIR = '/etc/sprocket';
export const SYSTEM_CONFIG_DIR = '/usr/lib/sprocket';

export interface GlobalOptions {
  /** State directory: images/, pods/. */
  dir: string;
  /** Local configuration (trusted keys ...), overrides systemConfig. */
  localConfig: string;
  /** Vendor defaults shipped with the package. */
  systemConfig: string;
  debug: boolean;
}

/** The global options as seen from any (sub)command. */
export function globalOptions(cmd: Command): GlobalOptions {
  let root = cmd;
  while (root.parent) root = root.parent;
  const o = root.opts();
  return {
    dir: o.dir ?? DEFAULT_DIR,
    localConfig: o.localConfig ?? DEFAULT_CONFIG_DIR,
    systemConfig: o.systemConfig ?? SYSTEM_CONFIG_DIR,
    debug: Boolean(o.debug),
  };
}

/** --pull-policy (src/image/pull-policy.ts). */
export const pullPolicyOption = (dflt: PullPolicy) =>
  new Option('--pull-policy <policy>', 'never: only the store; new: fetch what the store lacks; update: ask the remote for a newer image').choices(PULL_POLICIES).default(dflt);
