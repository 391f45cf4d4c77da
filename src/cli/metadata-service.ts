// `sprocket metadata-service [--listen ADDR...]`: serves the appc metadata
// API to the pods of the state directory (docs/metadata.md).
import { Command } from 'commander';
import { DEFAULT_LISTEN } from '../metadata/address.js';
import { globalOptions } from './options.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  program
    .command('metadata-service')
    .description('serve the appc metadata API (AC_METADATA_URL) to the pods of the state directory')
    .option('--listen <address>', `HOST:PORT or an absolute unix socket path, repeatable (default: ${DEFAULT_LISTEN.join(' and ')})`, collect)
    .addHelpText('after', '\nUnder systemd socket activation (units/sprocket-metadata.socket) it serves the sockets\nit is given and ignores --listen. Pods register with it when they start. See docs/metadata.md.')
    .action(async (o: { listen?: string[] }, cmd: Command) => {
      const { serveUntilSignal, startMetadataService } = await import('../metadata/run.js');
      const { servers, addresses } = await startMetadataService({ stateDir: globalOptions(cmd).dir, listen: o.listen });
      process.stderr.write(`sprocket metadata-service: listening on ${addresses.join(', ')}\n`);
      await serveUntilSignal(servers);
    });
}
