// `sprocket logs POD`: the pod's journal (its apps' lines and sprocket's lifecycle events).
import { Command } from 'commander';
import { usage } from '../errors.js';
import type { JournalEntry } from '../journal/read.js';
import { withPods } from './pod-context.js';

function line(e: JournalEntry): string {
  const us = Number(e.__REALTIME_TIMESTAMP);
  const time = Number.isFinite(us) ? new Date(us / 1000).toISOString() : '-';
  return `${time} ${String(e.SYSLOG_IDENTIFIER ?? e._COMM ?? '-')}: ${String(e.MESSAGE ?? '')}\n`;
}

export function register(program: Command): void {
  program
    .command('logs')
    .description("show a pod's logs: its apps' output and sprocket's events about it, from the journal")
    .argument('<pod>', 'UUID (or a unique prefix) or name of the pod')
    .option('--app <name>', "only this app's lines")
    .option('-f, --follow', 'wait for new lines')
    .option('--since <time>', 'from this time on (journalctl --since: "2024-01-01 10:00", "-5min", "today")')
    .option('--lines <n>', 'only the last N lines')
    .addHelpText('after', '\nThe same lines are in journalctl: journalctl SPROCKET_POD=<uuid> (all), journalctl SPROCKET_POD=<uuid> SYSLOG_IDENTIFIER=<app>.')
    .action((ref: string, o: { app?: string; follow?: boolean; since?: string; lines?: string }, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        if (o.lines !== undefined && !/^[1-9]\d*$/.test(o.lines)) throw usage(`--lines needs a positive number, got "${o.lines}"`, { field: '--lines' });
        const [{ journalEntries }, { isUuid }, { findPod }] = await Promise.all([import('../journal/read.js'), import('../spec/patterns.js'), import('../pod/find.js')]);
        // A removed pod's journal stays: a full UUID needs no pod directory.
        const uuid = isUuid(ref) ? ref : await findPod(ctx, ref);
        const query = { pod: uuid, ...(o.app ? { identifier: o.app } : {}), ...(o.since ? { since: o.since } : {}), ...(o.lines ? { lines: Number(o.lines) } : {}) };
        for await (const e of journalEntries(query, { follow: Boolean(o.follow) })) process.stdout.write(line(e));
      }));
}
