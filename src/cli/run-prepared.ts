// `sprocket run-prepared POD`: starts a pod made by `sprocket prepare`.
import { Command } from 'commander';
import { withPods } from './pod-context.js';

export function register(program: Command): void {
  program
    .command('run-prepared')
    .description('start a prepared pod (in the foreground, or detached with -d)')
    .argument('<pod>', 'UUID (or a unique prefix) or name of the pod')
    .option('-d, --detach', 'start the pod and return once it is up (every app started), printing its UUID')
    .action((ref: string, o: { detach?: boolean }, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        const [{ findPod }, { launch }] = await Promise.all([import('../pod/find.js'), import('./pod-launch.js')]);
        await launch(ctx, await findPod(ctx, ref), Boolean(o.detach));
      }, { systemdNow: true }));
}
