// `sprocket cat-manifest POD`: the pod's reified manifest.
import { Command } from 'commander';
import fs from 'node:fs/promises';
import { findPod } from '../pod/find.js';
import { podDir, podPaths } from '../pod/dir.js';
import { withPods } from './pod-context.js';

export function register(program: Command): void {
  program
    .command('cat-manifest')
    .description("print a pod's reified pod manifest (image IDs, apps with overrides applied)")
    .argument('<pod>', 'UUID (or a unique prefix) or name of the pod')
    .action((ref: string, _o: unknown, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        process.stdout.write(await fs.readFile(podPaths(podDir(ctx.stateDir, await findPod(ctx, ref))).manifest, 'utf8'));
      }));
}
