import { Command } from 'commander';
import { limitsFrom, maxImageSizeOption } from './image-options.js';

export function register(image: Command): void {
  image
    .command('validate')
    .description('check image layout directories, ACIs (tar, gzip, bzip2, xz) or image manifests, told apart by content')
    .argument('<file...>', 'files or directories to check')
    .addOption(maxImageSizeOption())
    .action(async (files: string[], _o: unknown, cmd: Command) => {
      const [{ validateImageFile }, { imageLimits }] = await Promise.all([import('../image/validate.js'), import('../image/limits.js')]);
      const limits = imageLimits(await limitsFrom(cmd));
      for (const file of files) {
        const r = await validateImageFile(file, limits);
        process.stdout.write(`${file}: valid ${r.kind === 'aci' ? `ACI ${r.id}` : r.kind === 'layout' ? 'image layout' : 'image manifest'} (${r.manifest.name})\n`);
      }
    });
}
