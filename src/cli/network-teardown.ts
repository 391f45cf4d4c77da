// `sprocket network-teardown UUID`: what a contained pod's host unit runs
// after the pod ended (ExecStopPost=): the CNI DEL of its networks and the
// removal of its namespace (src/net/pod-network.ts). gc and rm do the same
// for pods whose unit could not. Not for operators: hidden from --help.
import { Command } from 'commander';
import { globalOptions } from './options.js';

export function register(program: Command): void {
  program
    .command('network-teardown', { hidden: true })
    .description("tear down an ended pod's network (run by the pod's unit)")
    .argument('<uuid>', 'the pod UUID')
    .action(async (uuid: string, _o: unknown, cmd: Command) => {
      const [{ podDir }, { isUuid }, { usage }, { tearDownPodNetwork }] = await Promise.all([
        import('../pod/dir.js'), import('../spec/patterns.js'), import('../errors.js'), import('../net/pod-network.js'),
      ]);
      if (!isUuid(uuid)) throw usage(`"${uuid}" is not a pod UUID`, { field: 'uuid' });
      await tearDownPodNetwork(podDir(globalOptions(cmd).dir, uuid));
    });
}
