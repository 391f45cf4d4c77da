// `sprocket image gc`: unused images and leftovers of the store, then the
// download cache, pruned by age and size (docs/images.md, docs/fetch.md).
import { Command } from 'commander';
import { failedFor } from '../errors.js';
import { openStore } from './image-options.js';
import { globalOptions } from './options.js';
import { parseDuration } from './pod-context.js';

export function register(image: Command): void {
  image
    .command('gc')
    .description('remove images not used for the grace period and not held by pods, leftovers of interrupted imports, and old downloads from the cache')
    .option('--grace-period <duration>', 'how long an unused image is kept (e.g. 30m, 24h)', '24h')
    .option('--cache-max-age <duration>', 'downloads not used for this long leave the cache (e.g. 7d, 0: all)', '30d')
    .option('--cache-max-size <size>', 'the cache keeps the most recently used downloads that fit in SIZE (e.g. 512M, 2G, 0: none)', '1G')
    .action(async (o: { gracePeriod: string; cacheMaxAge: string; cacheMaxSize: string }, cmd: Command) => {
      const [{ parseSize }, { httpCacheDir }, { pruneHttpCache }] = await Promise.all([
        import('../image/limits.js'), import('../image/fetch-cache.js'), import('../image/fetch-cache-prune.js'),
      ]);
      const gracePeriodMs = parseDuration(o.gracePeriod, '--grace-period');
      const cache = { maxAgeMs: parseDuration(o.cacheMaxAge, '--cache-max-age'), maxSize: parseSize(o.cacheMaxSize, '--cache-max-size') };
      const { removed, failed } = await (await openStore(cmd)).gc(gracePeriodMs);
      for (const id of removed) process.stdout.write(`removed ${id}\n`);
      const pruned = await pruneHttpCache(httpCacheDir(globalOptions(cmd).dir), cache);
      if (pruned.removed) process.stdout.write(`removed ${pruned.removed} download(s) from the cache, ${pruned.freedBytes} bytes\n`);
      if (failed.length) throw failedFor('images that gc could not handle (kept)', failed);
    });
}
