// `sprocket logs POD`: the pod's journal (its apps' lines and sprocket's lifecycle events).
import { Command } from 'commander';
import { usage } from '../errors.js';
import type { PodLogLine } from '../journal/pod-log.js';
import { withPods } from './pod-context.js';

function line(l: PodLogLine): string {
  const us = Number(l.entry.__REALTIME_TIMESTAMP);
  const time = Number.isFinite(us) ? new Date(us / 1000).toISOString() : '-';
  const who = l.origin === 'app' ? l.app : l.origin === 'event' ? 'sprocket' : `stage1 ${String(l.entry.SYSLOG_IDENTIFIER ?? l.entry._COMM ?? '-')}`;
  return `${time} ${who}: ${String(l.entry.MESSAGE ?? '')}\n`;
}

export function register(program: Command): void {
  program
    .command('logs')
    .description("show a pod's logs: its apps' output and sprocket's events about it, from the journal")
    .argument('<pod>', 'UUID (or a unique prefix) or name of the pod')
    .option('--app <name>', "only this app's lines")
    .option('--stage1', "also the pod's stage1 console: nspawn and the pod's systemd booting and stopping")
    .option('-f, --follow', 'wait for new lines while the pod runs')
    .option('--since <time>', 'from this time on (journalctl --since: "2024-01-01 10:00", "-5min", "today")')
    .option('--lines <n>', 'only the last N lines (of those shown)')
    .addHelpText('after', [
      '',
      "Lines are placed by what journald records about their writer, never by a field an app could set:",
      "an app's line came from that app's unit inside the pod's unit (its cgroup), an event from sprocket",
      'itself (root, outside every pod). The same lines: journalctl -u sprocket-<uuid>.service (with the console).',
      '',
      "--follow ends once the pod is not running (at once for an exited, prepared or removed pod) and its last lines",
      "are printed. --app refuses a name the pod has no app of. A closed stdout (| head) ends logs quietly (docs/exit-codes.md).",
    ].join('\n'))
    .action((ref: string, o: { app?: string; stage1?: boolean; follow?: boolean; since?: string; lines?: string }, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        if (o.lines !== undefined && !/^[1-9]\d*$/.test(o.lines)) throw usage(`--lines needs a positive number, got "${o.lines}"`, { field: '--lines' });
        const [{ podLog, podLogUntilEnded }, { checkLogApp, podLogSource, podNotRunning }] = await Promise.all([import('../journal/pod-log.js'), import('../pod/log-source.js')]);
        const pod = await podLogSource(ctx, ref);
        if (o.app !== undefined) checkLogApp(pod, o.app);
        const opts = { app: o.app, stage1: o.stage1, since: o.since, lines: o.lines ? Number(o.lines) : undefined };
        const lines = o.follow ? podLogUntilEnded(ctx.sys, pod, opts, podNotRunning(ctx, pod)) : podLog(ctx.sys, pod, opts);
        for await (const l of lines) process.stdout.write(line(l));
      }));
}
