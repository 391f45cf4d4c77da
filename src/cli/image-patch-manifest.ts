import { Command } from 'commander';
import { usage } from '../errors.js';
import type { ManifestPatch } from '../image/manifest-patch.js';

type Options = ManifestPatch & { manifest?: string; replace?: boolean; overwrite?: boolean; compression: boolean };

export function register(image: Command): void {
  image
    .command('patch-manifest')
    .description('copy an ACI with its manifest changed (as actool patch-manifest)')
    .argument('<input>', 'ACI file')
    .argument('[output]', 'ACI file to write (not with --replace)')
    .option('--manifest <file>', 'replace the whole manifest with this file (not with the other edits)')
    .option('--name <name>', 'set the image name')
    .option('--exec <cmdline>', 'set app.exec (split on spaces); adds an app if there is none')
    .option('--user <user>', 'set app.user')
    .option('--group <group>', 'set app.group')
    .option('--supplementary-groups <gids>', 'set app.supplementaryGIDs, comma-separated')
    .option('--capability <caps>', 'add an os/linux/capabilities-retain-set isolator, comma-separated')
    .option('--revoke-capability <caps>', 'add an os/linux/capabilities-remove-set isolator, comma-separated')
    .option('--mounts <list>', 'add mount points: name,path=/p,readOnly=true[:name2,...]')
    .option('--ports <list>', 'add ports: name,protocol=tcp,port=80[,count=N][,socketActivated=true][:...]')
    .option('--isolators <list>', 'add resource isolators: resource/cpu,request=50m,limit=100m[:resource/memory,limit=1G]')
    .option('--seccomp-mode <mode>', 'retain or remove, optionally ,errno=EPERM (with --seccomp-set)')
    .option('--seccomp-set <syscalls>', 'syscalls of the seccomp isolator, comma-separated')
    .option('--replace', 'replace INPUT instead of writing OUTPUT')
    .option('--overwrite', 'replace OUTPUT if it exists')
    .option('--no-compression', 'write a plain tar instead of gzip')
    .action(async (input: string, output: string | undefined, o: Options) => {
      const { manifest, replace, overwrite, compression, ...patch } = o;
      if (replace && output) throw usage('give either OUTPUT or --replace, not both');
      if (!replace && !output) throw usage('give an OUTPUT file or --replace');
      if (manifest && Object.values(patch).some((v) => v !== undefined)) throw usage('--manifest cannot be combined with other edits');
      const { patchAci } = await import('../image/manifest-patch.js');
      await patchAci(input, output ?? input, { patch, manifestFile: manifest }, { overwrite: overwrite || replace, compress: compression });
    });
}
