// What this host can enforce of the isolators (isolators.ts HostSupport),
// read from the kernel's files when a pod is prepared.
import { readFile } from 'node:fs/promises';
import type { HostSupport } from './isolators.js';

const read = (file: string) => readFile(file, 'utf8').then((s) => s, () => undefined);

/**
 * cgroup2 controllers: pods use the unified hierarchy, which is
 * /sys/fs/cgroup on a unified host and /sys/fs/cgroup/unified on a hybrid
 * one (where the v1 hierarchies usually hold every controller).
 */
async function controllers(): Promise<string[]> {
  const text = (await read('/sys/fs/cgroup/cgroup.controllers')) ?? (await read('/sys/fs/cgroup/unified/cgroup.controllers')) ?? '';
  return text.split(/\s+/).filter(Boolean);
}

/** Names of the loaded AppArmor profiles ("name (mode)" lines), null when AppArmor is off. */
async function apparmorProfiles(): Promise<string[] | null> {
  if ((await read('/sys/module/apparmor/parameters/enabled'))?.trim() !== 'Y') return null;
  const text = (await read('/sys/kernel/security/apparmor/profiles')) ?? '';
  return text.split('\n').filter(Boolean).map((l) => l.replace(/ \([a-z]+\)$/, ''));
}

export async function readHostSupport(): Promise<HostSupport> {
  return {
    controllers: await controllers(),
    apparmorProfiles: await apparmorProfiles(),
    selinux: (await read('/sys/fs/selinux/enforce')) !== undefined,
  };
}
