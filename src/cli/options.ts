// Global options shared by every command, read once into one value.
import { Command } from 'commander';

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
