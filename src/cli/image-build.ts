import { Command } from 'commander';

export function register(image: Command): void {
  image
    .command('build')
    .description('build an ACI from an image layout directory (manifest + rootfs/)')
    .argument('<dir>', 'image layout directory')
    .argument('<out>', 'ACI file to write')
    .option('--overwrite', 'replace OUT if it exists')
    .option('--no-compression', 'write a plain tar instead of gzip')
    .option('--owner-root', 'record every file as owned by uid 0 and gid 0')
    .action(async (dir: string, out: string, o: { overwrite?: boolean; compression: boolean; ownerRoot?: boolean }) => {
      const { buildAci } = await import('../image/aci-builder.js');
      await buildAci(dir, out, { overwrite: o.overwrite, compress: o.compression, ownerRoot: o.ownerRoot });
    });
}
