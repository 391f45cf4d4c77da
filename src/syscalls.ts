// What the pod operations ask of the host beyond systemd (src/systemd) and
// the pods' networks (src/net): the journal, the mount table, cgroups and
// entering a process's namespaces, done through other programs (journalctl,
// umount, nsenter) and /proc. One small interface, as youki's Syscall trait,
// so that stop, wait, follow, enter and rm are unit tested with a fake
// (test/support/fake-syscalls.ts); the CLI passes hostSyscalls. Locks
// (flock(2), src/pod/lock.ts) stay outside: it needs no privilege, so unit tests take real locks.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { SprocketError } from './errors.js';
import type { JournalEntry, JournalQuery } from './journal/read.js';

export interface Syscalls {
  /** The journal's entries that match `query`, oldest first (journalctl -o json); followed until the consumer stops or `signal` aborts. */
  journal(query: JournalQuery, opts?: { follow?: boolean; signal?: AbortSignal }): AsyncIterable<JournalEntry>;
  /** Mount points at or below `dir`, in mount order (/proc/self/mountinfo). */
  mountsBelow(dir: string): Promise<string[]>;
  /** Detaches the mount at `target` (umount --lazy). */
  unmount(target: string): Promise<void>;
  /** The processes of a cgroup of the unified hierarchy, named as systemd's ControlGroup property names it. */
  cgroupProcesses(cgroup: string): Promise<number[]>;
  /** Runs `argv` in all namespaces of process `pid` with `env` and this terminal (nsenter); resolves to its exit code. */
  enter(pid: number, argv: string[], env: Record<string, string>): Promise<number>;
}

const run = promisify(execFile);
const MOUNTINFO = '/proc/self/mountinfo';

/** The fields of /proc/self/mountinfo lines (octal escapes undone). */
async function mountinfo(): Promise<string[][]> {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return (await fs.readFile(MOUNTINFO, 'utf8')).split('\n').filter(Boolean).map((l) => l.split(' ').map(unescape));
}

export const hostSyscalls: Syscalls = {
  async *journal(query, opts) {
    // Loaded when used: list and status read no journal.
    const { journalEntries } = await import('./journal/read.js');
    yield* journalEntries(query, opts);
  },

  async mountsBelow(dir) {
    return (await mountinfo()).map((f) => f[4]!).filter((m) => m === dir || m.startsWith(`${dir}/`));
  },

  async unmount(target) {
    await run('umount', ['--lazy', target]).catch((e: Error) => {
      throw new SprocketError('io', `cannot unmount: ${e.message.trim()}`);
    });
  },

  async cgroupProcesses(cgroup) {
    // /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host.
    const mount = (await mountinfo()).find((f) => f[f.indexOf('-') + 1] === 'cgroup2')?.[4];
    if (!mount) throw new SprocketError('runtime', 'no cgroup2 hierarchy is mounted', { file: MOUNTINFO });
    const procs = await fs.readFile(path.join(mount, cgroup, 'cgroup.procs'), 'utf8').catch(() => '');
    return procs.split('\n').filter(Boolean).map(Number);
  },

  enter(pid, argv, env) {
    const child = spawn('/usr/bin/nsenter', ['-t', String(pid), '-a', '-r', '-w', '--', ...argv], { stdio: 'inherit', env });
    return new Promise((resolve, reject) => {
      child.on('error', (e) => reject(new SprocketError('runtime', `cannot run nsenter: ${e.message}`, { file: '/usr/bin/nsenter' })));
      child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? 15 : 0)));
    });
  },
};
