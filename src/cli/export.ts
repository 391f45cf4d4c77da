// `sprocket export POD FILE.aci`: an exited pod's app, with its changes, as a new ACI.
import { Command } from 'commander';
import { openStore } from './image-options.js';
import { withPods } from './pod-context.js';

export function register(program: Command): void {
  program
    .command('export')
    .description("write an exited pod's app, with the changes it made to its root filesystem, as a new ACI")
    .argument('<pod>', 'UUID (or unique prefix) or name of an exited pod')
    .argument('<out>', 'ACI file to write')
    .option('--app <name>', 'the app to export (needed when the pod has several)')
    .option('--overwrite', 'replace OUT if it exists')
    .addHelpText('after', '\nThe manifest is the image\'s, without dependencies or pathWhitelist (the tree is rendered). See docs/pods.md.')
    .action((ref: string, out: string, o: { app?: string; overwrite?: boolean }, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        const [{ findPod }, { exportPod }] = await Promise.all([import('../pod/find.js'), import('../pod/export.js')]);
        await exportPod(ctx, await findPod(ctx, ref), out, await openStore(cmd), o);
      }));
}
