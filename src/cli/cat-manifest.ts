// `sprocket cat-manifest POD`: the pod's reified manifest.
import { Command } from 'commander';
import { withPods } from './pod-context.js';

export function register(program: Command): void {
  program
    .command('cat-manifest')
    .description("print a pod's reified pod manifest (image IDs, apps with overrides applied)")
    .argument('<pod>', 'UUID (or a unique prefix) or name of the pod')
    .action((ref: string, _o: unknown, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        const [fs, { findPod }, { podDir, podPaths }] = await Promise.all([import('node:fs/promises'), import('../pod/find.js'), import('../pod/dir.js')]);
        process.stdout.write(await fs.readFile(podPaths(podDir(ctx.stateDir, await findPod(ctx, ref))).manifest, 'utf8'));
      }));
}
