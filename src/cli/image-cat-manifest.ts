import { Command } from 'commander';
import { openStore } from './image-options.js';

export function register(image: Command): void {
  image
    .command('cat-manifest')
    .description('print the manifest of an ACI file, or of an image in the store')
    .argument('<image>', 'ACI file, or image ID / name[:version] in the store')
    .option('--pretty-print', 'indent the JSON')
    .action(async (ref: string, o: { prettyPrint?: boolean }, cmd: Command) => {
      const [fs, { readAci }] = await Promise.all([import('node:fs/promises'), import('../image/aci-reader.js')]);
      const isFile = await fs.stat(ref).then((s) => s.isFile(), () => false);
      let bytes: Buffer;
      if (isFile) bytes = (await readAci(ref)).manifestBytes;
      else {
        const store = await openStore(cmd);
        bytes = await store.manifestBytes(await store.resolve(ref));
      }
      // As stored, unless asked to indent; the ACI's bytes were validated on the way.
      process.stdout.write(o.prettyPrint ? `${JSON.stringify(JSON.parse(bytes.toString()), null, 2)}\n` : `${bytes.toString().trimEnd()}\n`);
    });
}
