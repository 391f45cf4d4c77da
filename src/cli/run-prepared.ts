// `sprocket run-prepared POD`: starts a pod made by `sprocket prepare`; the
// network flags (as for run) replace what prepare chose.
import { Command, Option } from 'commander';
import { NET_FLAGS, type NetFlag } from '../net/flags.js';
import type { NetRequest } from '../net/request.js';
import { withPods } from './pod-context.js';

export function register(program: Command): void {
  // The network flags in command-line order, checked by src/net/request.ts once the command runs.
  const given: [NetFlag, string][] = [];
  const cmd = program
    .command('run-prepared')
    .description('start a prepared pod (in the foreground, or detached with -d)')
    .argument('<pod>', 'UUID (or a unique prefix) or name of the pod')
    .option('-d, --detach', 'start the pod and return once it is up (every app started), printing its UUID');
  for (const flag of NET_FLAGS) {
    cmd.addOption(new Option(`${flag} <value>`, `as for run (sprocket run --help); replaces what prepare chose`).argParser((v: string) => void given.push([flag, v])));
  }
  cmd
    .action((ref: string, o: { detach?: boolean }, c: Command) =>
      withPods(c, async (ctx) => {
        const [{ findPod }, { launch }, { addNetFlag }] = await Promise.all([import('../pod/find.js'), import('./pod-launch.js'), import('../net/request.js')]);
        let network: NetRequest | undefined;
        for (const [flag, value] of given) addNetFlag((network ??= {}), flag, value);
        await launch(ctx, await findPod(ctx, ref), Boolean(o.detach), network);
      }, { systemdNow: true }));
}
