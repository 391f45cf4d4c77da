import { Command } from 'commander';
import { usage } from '../errors.js';
import { openStore } from './image-options.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Durations like 0, 90s, 30m, 24h, 1h30m. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) throw usage(`not a duration: ${JSON.stringify(text)}`, { field: '--grace-period', hint: 'e.g. 30m, 24h, 1h30m' });
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]!]!, 0);
}

export function register(image: Command): void {
  image
    .command('gc')
    .description('remove images not used for the grace period and not held by pods, and leftovers of interrupted imports')
    .option('--grace-period <duration>', 'how long an unused image is kept (e.g. 30m, 24h)', '24h')
    .action(async (o: { gracePeriod: string }, cmd: Command) => {
      const { removed } = await (await openStore(cmd)).gc(parseDuration(o.gracePeriod));
      for (const id of removed) process.stdout.write(`removed ${id}\n`);
    });
}
