import { Command } from 'commander';
import { openStore } from './image-options.js';

export function register(image: Command): void {
  image
    .command('extract')
    .description("extract an image's own files (manifest and rootfs/, without dependencies) into a new directory")
    .argument('<image>', 'image ID (a unique prefix will do) or name[:version]')
    .argument('<dir>', 'directory to create')
    .option('--rootfs-only', 'extract only the contents of rootfs/ into DIR')
    .action(async (ref: string, dir: string, o: { rootfsOnly?: boolean }, cmd: Command) => {
      const store = await openStore(cmd);
      await store.extract(await store.resolve(ref), dir, { rootfsOnly: o.rootfsOnly });
    });
}
