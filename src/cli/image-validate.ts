import { Command } from 'commander';
import { validateImageFile } from '../image/validate.js';
import { imageLimits } from '../image/limits.js';
import { limitsFrom, maxImageSizeOption } from './image-options.js';

export function register(image: Command): void {
  image
    .command('validate')
    .description('check image layout directories, ACIs (tar, gzip, bzip2, xz) or image manifests, told apart by content')
    .argument('<file...>', 'files or directories to check')
    .addOption(maxImageSizeOption())
    .action(async (files: string[], _o: unknown, cmd: Command) => {
      const limits = imageLimits(limitsFrom(cmd));
      for (const file of files) {
        const r = await validateImageFile(file, limits);
        process.stdout.write(`${file}: valid ${r.kind === 'aci' ? `ACI ${r.id}` : r.kind === 'layout' ? 'image layout' : 'image manifest'} (${r.manifest.name})\n`);
      }
    });
}
