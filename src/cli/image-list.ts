import { Command, Option } from 'commander';
import { openStore } from './image-options.js';

const label = (labels: { name: string; value: string }[] | undefined, name: string) => labels?.find((l) => l.name === name)?.value ?? '';

export function register(image: Command): void {
  image
    .command('list')
    .description('list the images in the store')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--full', 'show full image IDs')
    .addHelpText('after', '\nAn image whose manifest or info no longer reads or validates is named on stderr with why, and list exits 254.')
    .action(async (o: { format: string; full?: boolean }, cmd: Command) => {
      const { images, broken } = await (await openStore(cmd)).list();
      const reportBroken = async () => {
        if (broken.length) throw (await import('../errors.js')).failedFor('images that cannot be read (see sprocket image verify)', broken.map((b) => ({ name: b.id, error: b.error })));
      };
      if (o.format === 'json') {
        process.stdout.write(`${JSON.stringify(images.map((i) => ({ id: i.id, name: i.manifest.name, labels: i.manifest.labels ?? [], ...i.info })), null, 2)}\n`);
        return reportBroken();
      }
      const rows = [['ID', 'NAME', 'VERSION', 'SIZE', 'IMPORTED', 'LAST USED']];
      for (const i of images) {
        rows.push([o.full ? i.id : i.id.slice(0, 19), i.manifest.name, label(i.manifest.labels, 'version'), `${(i.info.size / 1024 ** 2).toFixed(1)}MiB`, i.info.importedAt, i.info.lastUsedAt]);
      }
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      for (const r of rows) process.stdout.write(`${r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()}\n`);
      await reportBroken();
    });
}
