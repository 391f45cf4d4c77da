// A pod's own range of host uids and gids (--private-users, docs/isolators.md):
// uid 0 of the pod is the range's base on the host, never the host's root.
// Chosen when the pod is prepared, under the store's pods lock, and recorded
// in the pod's state; a range is free again once its pod's directory is gone
// (rm, gc). Never one that another pod of the store holds, nor one that
// holds a user or group of the host (its passwd and group files) or a range
// it gives to its users (subuid, subgid: rootless podman's, say).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SprocketError } from '../errors.js';
import { UID_RANGE_SIZE, type UidRange } from '../../stage1-nspawn/plan.js';
import { listPodDirs, newPodDir, podDir, podPaths } from './dir.js';
import { readState } from './state.js';

/**
 * Where pods' ranges lie: 0x70000000 to 0x7FFDFFFF, which systemd's uid
 * allocation (UIDS-GIDS.md) leaves unused: below are nspawn's
 * --private-users=pick ranges (0x00080000 to 0x6FFFFFFF), above the
 * foreign range of newer systemd (0x7FFE0000) and the uids that 32-bit
 * signed code gets wrong (0x80000000 on).
 */
export const FIRST_BASE = 0x70000000;
export const LAST_BASE = 0x7ffd0000;
const SLOTS = (LAST_BASE - FIRST_BASE) / UID_RANGE_SIZE + 1;

/** The host's files that name its users, groups and the ranges it gives them. */
export const HOST_ID_FILES = { passwd: '/etc/passwd', group: '/etc/group', subuid: '/etc/subuid', subgid: '/etc/subgid' };

/** [first, last] ids the host uses, from its passwd and group (the third field) and subuid, subgid (name:start:count). */
export function hostIdSpans(files = HOST_ID_FILES): [number, number][] {
  const spans: [number, number][] = [];
  const lines = (file: string) => {
    try {
      return readFileSync(file, 'utf8').split('\n');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  };
  for (const file of [files.passwd, files.group]) {
    for (const line of lines(file)) {
      const id = Number(line.split(':')[2]);
      if (line && Number.isInteger(id)) spans.push([id, id]);
    }
  }
  for (const file of [files.subuid, files.subgid]) {
    for (const line of lines(file)) {
      const [, start, count] = line.split(':').map(Number);
      if (Number.isInteger(start) && Number.isInteger(count) && count! > 0) spans.push([start!, start! + count! - 1]);
    }
  }
  return spans;
}

/** The bases of the ranges that the store's pods hold (made ones and those being made). */
async function rangesInUse(stateDir: string): Promise<Set<number>> {
  const { pods, unfinished } = await listPodDirs(stateDir);
  const used = new Set<number>();
  for (const dir of [...pods.map((u) => podDir(stateDir, u)), ...unfinished.map((u) => newPodDir(stateDir, u))]) {
    try {
      const base = (await readState(podPaths(dir).state)).uidRange?.base;
      if (base !== undefined) used.add(base);
    } catch (e) {
      // A pod whose state is gone (being removed) or not written yet holds none; any other failure could hide a range in use.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return used;
}

/**
 * A free range for pod `uuid`; the caller holds the pods lock and records
 * the range in the pod's state before letting go. Tried from a slot the
 * UUID picks, so that concurrent stores rarely meet.
 */
export async function allocateUidRange(stateDir: string, uuid: string, host: [number, number][] = hostIdSpans()): Promise<UidRange> {
  const used = await rangesInUse(stateDir);
  const start = createHash('sha256').update(uuid).digest().readUInt32BE(0) % SLOTS;
  for (let i = 0; i < SLOTS; i++) {
    const base = FIRST_BASE + ((start + i) % SLOTS) * UID_RANGE_SIZE;
    const last = base + UID_RANGE_SIZE - 1;
    if (used.has(base) || host.some(([a, b]) => a <= last && b >= base)) continue;
    return { base, size: UID_RANGE_SIZE };
  }
  throw new SprocketError('conflict', `no free range of ${UID_RANGE_SIZE} uids left for the pod's user namespace`, {
    file: path.join(stateDir, 'pods'),
    hint: 'remove pods that are done (sprocket gc), or prepare this one with --private-users=no',
  });
}
