import { Command } from 'commander';
import { openStore } from './image-options.js';

export function register(image: Command): void {
  image
    .command('export')
    .description('write an image of the store to an ACI file, byte for byte as it was imported')
    .argument('<image>', 'image ID (a unique prefix will do) or name[:version]')
    .argument('<out>', 'ACI file to write')
    .option('--overwrite', 'replace OUT if it exists')
    .action(async (ref: string, out: string, o: { overwrite?: boolean }, cmd: Command) => {
      const store = await openStore(cmd);
      await store.exportTo(await store.resolve(ref), out, { overwrite: o.overwrite });
    });
}
