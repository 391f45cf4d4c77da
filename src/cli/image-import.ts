import { Command } from 'commander';
import { maxImageSizeOption, openStore } from './image-options.js';

export function register(image: Command): void {
  image
    .command('import')
    .description('import ACI files into the store (their dependencies must be imported first); prints each image ID')
    .argument('<file...>', 'ACI files')
    .addOption(maxImageSizeOption())
    .action(async (files: string[], _o: unknown, cmd: Command) => {
      const store = await openStore(cmd);
      for (const file of files) process.stdout.write(`${(await store.import(file)).id}\n`);
    });
}
