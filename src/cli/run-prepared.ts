// `sprocket run-prepared POD`: starts a pod made by `sprocket prepare`.
import { Command } from 'commander';
import { findPod } from '../pod/find.js';
import { launch } from './run.js';
import { withPods } from './pod-context.js';

export function register(program: Command): void {
  program
    .command('run-prepared')
    .description('start a prepared pod (in the foreground, or detached with -d)')
    .argument('<pod>', 'UUID (or a unique prefix) or name of the pod')
    .option('-d, --detach', 'start the pod and return at once, printing its UUID')
    .action((ref: string, o: { detach?: boolean }, cmd: Command) =>
      withPods(cmd, async (ctx) => launch(ctx, await findPod(ctx, ref), Boolean(o.detach))));
}
