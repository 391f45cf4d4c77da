import { Command } from 'commander';
import { maxImageSizeOption, openStore } from './image-options.js';

export function register(image: Command): void {
  image
    .command('import')
    .description('import ACI files, OCI archives or docker archives into the store (ACI dependencies must be imported first); prints each image ID')
    .argument('<file...>', 'FILE.aci, oci-archive:FILE (an OCI image layout tar) or docker-archive:FILE (docker save output)')
    .addOption(maxImageSizeOption())
    .addHelpText('after', '\nThe layers of an archive become layer images of their own, stacked by the image (see docs/images.md).')
    .action(async (files: string[], _o: unknown, cmd: Command) => {
      const store = await openStore(cmd);
      const { archiveSource, importArchive } = await import('../image/oci/archive.js');
      for (const file of files) {
        const archive = archiveSource(file);
        const id = archive ? await importArchive(archive, store, (m) => process.stderr.write(`${m}\n`)) : (await store.import(file)).id;
        process.stdout.write(`${id}\n`);
      }
    });
}
