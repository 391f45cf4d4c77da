// `sprocket enter POD [CMD...]`: a command (default /bin/sh) in a running app's root.
import { Command } from 'commander';
import { withPods } from './pod-context.js';

export function register(program: Command): void {
  program
    .command('enter')
    .description("run a command (default /bin/sh) in a running app's root, inside the pod's namespaces")
    .argument('<pod>', 'UUID (or a unique prefix) or name of the pod')
    .argument('[cmd...]', 'command and arguments (put -- before options of the command)')
    .option('--app <name>', 'the app to enter (needed when the pod has more than one)')
    .action((ref: string, argv: string[], o: { app?: string }, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        const [{ enterPod }, { findPod }] = await Promise.all([import('../pod/enter.js'), import('../pod/find.js')]);
        process.exitCode = await enterPod(ctx, await findPod(ctx, ref), o.app, argv);
      }));
}
