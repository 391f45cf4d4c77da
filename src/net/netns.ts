// The network namespace of a contained pod: /run/netns/sprocket-<uuid>,
// made and removed with iproute2's `ip netns` (which also makes /run/netns a
// mount point of its own, so the namespace outlives every process in it).
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { SprocketError } from '../errors.js';
import { podNetnsPath } from '../../stage1-nspawn/plan.js';

export { podNetnsPath };

const run = promisify(execFile);
const IP_TIMEOUT_MS = 30_000;

const podNetnsName = (uuid: string) => path.basename(podNetnsPath(uuid));

const ip = async (args: string[]) => {
  await run('ip', args, { timeout: IP_TIMEOUT_MS }).catch((e: Error & { stderr?: string }) => {
    throw new SprocketError('io', `ip ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`, { hint: 'is iproute2 installed?' });
  });
};

export const netnsExists = (uuid: string) => fs.access(podNetnsPath(uuid)).then(() => true, () => false);

/** Makes the pod's namespace with its loopback up. */
export async function addNetns(uuid: string): Promise<void> {
  await ip(['netns', 'add', podNetnsName(uuid)]);
  await ip(['-n', podNetnsName(uuid), 'link', 'set', 'lo', 'up']);
}

/** Removes the pod's namespace if it is there. */
export async function deleteNetns(uuid: string): Promise<void> {
  if (await netnsExists(uuid)) await ip(['netns', 'delete', podNetnsName(uuid)]);
}
