// `sprocket metadata-service`: listens, serves until SIGTERM/SIGINT.
import type http from 'node:http';
import { activationSockets, DEFAULT_LISTEN, describeAddress, listen, parseListenAddress } from './listen.js';
import { MetadataService } from './service.js';

export interface MetadataServiceOptions {
  stateDir: string;
  /** --listen addresses; ignored when systemd passed sockets. */
  listen?: string[];
}

/** Starts the service; resolves with the servers once all listen. */
export async function startMetadataService(opts: MetadataServiceOptions): Promise<{ servers: http.Server[]; addresses: string[] }> {
  const activated = activationSockets();
  const addresses = activated.length > 0 ? activated : (opts.listen?.length ? opts.listen : DEFAULT_LISTEN).map(parseListenAddress);
  const servers = await listen(addresses, new MetadataService(opts.stateDir).handle);
  return { servers, addresses: addresses.map(describeAddress) };
}

/** Closes the servers on SIGTERM or SIGINT; resolves once they are closed. */
export function serveUntilSignal(servers: http.Server[]): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      let open = servers.length;
      for (const s of servers) {
        s.close(() => --open === 0 && resolve());
        s.closeIdleConnections();
      }
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
