// `sprocket stop POD...`: stops running pods cleanly (or kills them with --force).
import { Command } from 'commander';
import { withPods } from './pod-context.js';

export function register(program: Command): void {
  program
    .command('stop')
    .description('stop running pods: every app is stopped cleanly and its exit recorded')
    .argument('<pod...>', 'UUIDs (or unique prefixes) or names of pods')
    .option('--force', 'kill every process of the pod at once (SIGKILL) instead')
    .action((refs: string[], o: { force?: boolean }, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        const [{ findPod }, { stopPod }] = await Promise.all([import('../pod/find.js'), import('../pod/stop.js')]);
        for (const ref of refs) {
          const status = await stopPod(ctx, await findPod(ctx, ref), { force: Boolean(o.force) });
          process.stdout.write(`${status.uuid} ${status.state}\n`);
        }
      }));
}
