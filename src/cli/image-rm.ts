import { Command } from 'commander';
import { failedFor } from '../errors.js';
import { openStore } from './image-options.js';

export function register(image: Command): void {
  image
    .command('rm')
    .description('remove images from the store (refused for images that pods use)')
    .argument('<image...>', 'image IDs (a unique prefix will do) or name[:version][,label=value...]')
    .action(async (refs: string[], _o: unknown, cmd: Command) => {
      const store = await openStore(cmd);
      // Each image on its own: one that cannot be removed is named, the others still go.
      const failed: { name: string; error: unknown }[] = [];
      for (const ref of refs) {
        try {
          process.stdout.write(`removed ${await store.remove(ref)}\n`);
        } catch (error) {
          failed.push({ name: ref, error });
        }
      }
      if (failed.length) throw failedFor('images not removed', failed);
    });
}
