// `sprocket rm POD...`: removes pods that are not running.
import { Command } from 'commander';
import { podImages, withPods } from './pod-context.js';

export function register(program: Command): void {
  program
    .command('rm')
    .description('remove pods that are not running (their directory, mounts and image references)')
    .argument('<pod...>', 'UUIDs (or unique prefixes) or names of pods')
    .action((refs: string[], _o: unknown, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        const [{ findPod }, { removePod }] = await Promise.all([import('../pod/find.js'), import('../pod/rm.js')]);
        const images = await podImages(cmd);
        for (const ref of refs) {
          const uuid = await findPod(ctx, ref);
          await removePod(ctx, uuid, images);
          process.stdout.write(`${uuid}\n`);
        }
      }));
}
