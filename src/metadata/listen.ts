// Where the metadata service listens: the sockets systemd passes (socket
// activation, sd_listen_fds(3): LISTEN_PID, LISTEN_FDS, fds from 3 on), or
// else the addresses given with --listen.
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { SprocketError, usage } from '../errors.js';
export { DEFAULT_LISTEN } from './address.js';

/** A socket to listen on: an fd from systemd, a TCP address, or a unix socket path. */
export type ListenAddress = { fd: number } | { host: string; port: number } | { path: string };

const SD_LISTEN_FDS_START = 3;

/**
 * The sockets systemd passed to this process, and clears the variables so
 * that they are not taken again (nor inherited). Empty when there are none.
 */
export function activationSockets(env: NodeJS.ProcessEnv = process.env, pid = process.pid): ListenAddress[] {
  const count = Number(env.LISTEN_FDS);
  const forUs = env.LISTEN_PID !== undefined && Number(env.LISTEN_PID) === pid;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (!forUs || !Number.isInteger(count) || count < 1) return [];
  return Array.from({ length: count }, (_, i) => ({ fd: SD_LISTEN_FDS_START + i }));
}

/** Parses `HOST:PORT`, `[IPV6]:PORT` or an absolute unix socket path. */
export function parseListenAddress(text: string): ListenAddress {
  if (text.startsWith('/')) return { path: text };
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) throw usage(`${JSON.stringify(text)} is not HOST:PORT or an absolute socket path`, { field: '--listen' });
  return { host: (m[1] ?? m[2])!, port };
}

export const describeAddress = (a: ListenAddress) => ('fd' in a ? `fd ${a.fd}` : 'path' in a ? a.path : `${a.host}:${a.port}`);

/** Removes a socket file left by an earlier run; refuses to remove anything else. */
async function clearSocketPath(file: string): Promise<void> {
  const stat = await fs.lstat(file).catch(() => null);
  if (!stat) return fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 }).then(() => undefined);
  if (!stat.isSocket()) throw new SprocketError('conflict', 'exists and is not a socket', { file });
  await fs.rm(file);
}

/** Starts one HTTP server per address, all with the same handler. */
export async function listen(addresses: ListenAddress[], handler: http.RequestListener): Promise<http.Server[]> {
  const servers: http.Server[] = [];
  try {
    for (const address of addresses) {
      if ('path' in address) await clearSocketPath(address.path);
      const server = http.createServer(handler);
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(new SprocketError('io', `cannot listen: ${e.message}`, { file: describeAddress(address) })));
        server.listen(address, resolve);
      });
    }
  } catch (e) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    throw e;
  }
  return servers;
}
