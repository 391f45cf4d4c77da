// `sprocket image verify [IMAGE...]`: rehash blobs, check rendered trees (src/image/verify.ts).
import { Command } from 'commander';
import { openStore } from './image-options.js';

export function register(image: Command): void {
  image
    .command('verify')
    .description("check images in the store: each blob rehashes to its image ID and each rendered tree matches its blobs")
    .argument('[image...]', 'image IDs (a unique prefix will do) or name[:version][,label=value...]; all images when none is given')
    .addHelpText('after', '\nPrints "verified ID" for each good image. Each bad image is named on stderr with what is wrong, and verify exits 254.')
    .action(async (refs: string[], _o: unknown, cmd: Command) => {
      const [{ verifyImage }, { failedFor, SprocketError }] = await Promise.all([import('../image/verify.js'), import('../errors.js')]);
      const store = await openStore(cmd);
      const failures: { name: string; error: unknown }[] = [];
      const ids: string[] = [];
      if (refs.length) {
        for (const ref of refs) await store.resolve(ref).then((id) => ids.push(id), (error) => failures.push({ name: ref, error }));
      } else {
        ids.push(...(await store.ids()));
      }
      for (const id of ids) {
        const problems = await verifyImage(store, id);
        if (problems.length) failures.push({ name: id, error: new SprocketError('invalid', problems.join('; ')) });
        else process.stdout.write(`verified ${id}\n`);
      }
      if (failures.length) throw failedFor('images that do not verify', failures);
    });
}
