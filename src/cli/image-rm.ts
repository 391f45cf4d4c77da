import { Command } from 'commander';
import { openStore } from './image-options.js';

export function register(image: Command): void {
  image
    .command('rm')
    .description('remove images from the store (refused for images that pods use)')
    .argument('<image...>', 'image IDs (a unique prefix will do) or name[:version][,label=value...]')
    .action(async (refs: string[], _o: unknown, cmd: Command) => {
      const store = await openStore(cmd);
      for (const ref of refs) process.stdout.write(`removed ${await store.remove(ref)}\n`);
    });
}
