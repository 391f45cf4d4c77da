import { Command } from 'commander';
import fs from 'node:fs/promises';
import { readAci } from '../image/aci-reader.js';
import { openStore } from './image-options.js';

export function register(image: Command): void {
  image
    .command('cat-manifest')
    .description('print the manifest of an ACI file, or of an image in the store')
    .argument('<image>', 'ACI file, or image ID / name[:version] in the store')
    .option('--pretty-print', 'indent the JSON')
    .action(async (ref: string, o: { prettyPrint?: boolean }, cmd: Command) => {
      const isFile = await fs.stat(ref).then((s) => s.isFile(), () => false);
      let manifest: unknown;
      if (isFile) manifest = (await readAci(ref)).manifest;
      else {
        const store = await openStore(cmd);
        manifest = await store.manifest(await store.resolve(ref));
      }
      process.stdout.write(`${JSON.stringify(manifest, null, o.prettyPrint ? 2 : undefined)}\n`);
    });
}
