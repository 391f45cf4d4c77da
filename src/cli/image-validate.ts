import { Command } from 'commander';
import { limitsFrom, maxImageSizeOption } from './image-options.js';

export function register(image: Command): void {
  image
    .command('validate')
    .description('check image layout directories, ACIs (tar, gzip, bzip2, xz), image manifests or pod manifests (saying what a pod template lacks to run), told apart by content')
    .argument('<file...>', 'files or directories to check')
    .addOption(maxImageSizeOption())
    .action(async (files: string[], _o: unknown, cmd: Command) => {
      const [{ validateImageFile }, { imageLimits }] = await Promise.all([import('../image/validate.js'), import('../image/limits.js')]);
      const limits = imageLimits(await limitsFrom(cmd));
      for (const file of files) {
        const r = await validateImageFile(file, limits);
        if (r.kind === 'pod-manifest') {
          process.stdout.write(`${file}: valid pod manifest (${r.manifest.apps.length} apps)\n`);
          if (r.missing.length) process.stdout.write(`${file}: a pod template; to run it, fill in:\n${r.missing.map((m) => `  ${m}\n`).join('')}`);
          continue;
        }
        process.stdout.write(`${file}: valid ${r.kind === 'aci' ? `ACI ${r.id}` : r.kind === 'layout' ? 'image layout' : 'image manifest'} (${r.manifest.name})\n`);
      }
    });
}
