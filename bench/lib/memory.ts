// Memory of a group of processes: the sums of Rss, Pss and USS (private
// clean + private dirty) from /proc/PID/smaps_rollup. PSS charges a shared
// page to each of its users in part, so PSS sums of different groups add up.
import fs from 'node:fs/promises';
import path from 'node:path';

export interface Memory {
  rss: number;
  pss: number;
  uss: number;
  processes: number;
}

async function processMemory(pid: number): Promise<Memory | undefined> {
  let text: string;
  try {
    text = await fs.readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return undefined; // gone meanwhile, or a kernel thread
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('Rss'), pss: kb('Pss'), uss: kb('Private_Clean') + kb('Private_Dirty'), processes: 1 };
}

export async function memoryOf(pids: number[]): Promise<Memory> {
  const all = (await Promise.all(pids.map(processMemory))).filter((m): m is Memory => m !== undefined);
  return all.reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss, uss: a.uss + b.uss, processes: a.processes + b.processes }), { rss: 0, pss: 0, uss: 0, processes: 0 });
}

/** PIDs of every process in a cgroup (cgroup2 path, like a unit's ControlGroup) and below. */
export async function cgroupPids(cgroup: string): Promise<number[]> {
  const dir = path.join('/sys/fs/cgroup', cgroup);
  const pids: number[] = [];
  const walk = async (d: string) => {
    const procs = await fs.readFile(path.join(d, 'cgroup.procs'), 'utf8').catch(() => '');
    pids.push(...procs.split('\n').filter(Boolean).map(Number));
    for (const e of await fs.readdir(d, { withFileTypes: true })) if (e.isDirectory()) await walk(path.join(d, e.name));
  };
  await walk(dir);
  return pids;
}

/** A field of the machine's /proc/meminfo (MemAvailable, Slab ...) in bytes; a test host sees the machine's. */
export async function meminfo(field: string): Promise<number> {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(await fs.readFile('/proc/meminfo', 'utf8'))?.[1]) * 1024;
}
