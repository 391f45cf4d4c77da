// `sprocket gc`: marks exited pods as garbage and removes them after a grace period.
import { Command } from 'commander';
import { parseDuration, podImages, withPods } from './pod-context.js';

export function register(program: Command): void {
  program
    .command('gc')
    .description('garbage-collect pods: exited pods are marked, then removed after the grace period')
    .option('--grace-period <duration>', 'how long an exited pod stays as garbage before removal', '30m')
    .option('--expire-prepared <duration>', 'remove prepared pods that were not run for this long', '24h')
    .option('--mark-only', 'only mark exited pods as garbage, remove nothing')
    .addHelpText('after', '\nPods held by another sprocket command are skipped (said on stdout). A pod that cannot be read,\nmarked or removed (a mount that stays, say) is named on stderr with why, and gc exits 254.')
    .action((o: { gracePeriod: string; expirePrepared: string; markOnly?: boolean }, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        const { collectPods } = await import('../pod/gc.js');
        const r = await collectPods(ctx, await podImages(cmd), {
          gracePeriodMs: parseDuration(o.gracePeriod, '--grace-period'),
          expirePreparedMs: parseDuration(o.expirePrepared, '--expire-prepared'),
          markOnly: Boolean(o.markOnly),
        });
        for (const uuid of r.marked) process.stdout.write(`marked ${uuid}\n`);
        for (const uuid of r.removed) process.stdout.write(`removed ${uuid}\n`);
        for (const s of r.skipped) process.stdout.write(`skipped ${s.uuid}: ${s.reason}\n`);
        if (r.failed.length) throw (await import('../errors.js')).failedFor('pods that gc could not collect', r.failed.map((f) => ({ name: f.uuid, error: f.error })));
      }));
}
