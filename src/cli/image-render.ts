import { Command } from 'commander';
import { openStore } from './image-options.js';

export function register(image: Command): void {
  image
    .command('render')
    .description('copy the rendered root filesystem of an image (dependencies applied, pathWhitelist honoured) into a new directory')
    .argument('<image>', 'image ID (a unique prefix will do) or name[:version]')
    .argument('<dir>', 'directory to create')
    .action(async (ref: string, dir: string, _o: unknown, cmd: Command) => {
      const store = await openStore(cmd);
      await store.renderTo(await store.resolve(ref), dir);
    });
}
