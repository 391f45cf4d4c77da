// `sprocket list`: every pod, one line each.
import { Command, Option } from 'commander';
import type { PodStatus } from '../pod/status.js';
import { withPods } from './pod-context.js';

/** Image names (IDs when a name is unknown); --full: full image IDs. */
const images = (s: PodStatus, full: boolean) => s.apps.map((a) => (full ? a.image : (a.imageName ?? a.image.slice(0, 19)))).join(',');

/** rkt's NETWORKS column: default:ip4=10.225.0.5 for each network of a running pod. */
const networks = (s: PodStatus) => s.networks?.map((n) => `${n.network}:ip4=${n.ip ?? '-'}`).join(',') || '-';

/** The text table; UNIT is the pod's own sprocket-<uuid>.service, or the operator's service of an inline pod. */
export function podTable(pods: PodStatus[], full: boolean, legend: boolean): string {
  const rows = pods.map((p) => [
    full ? p.uuid : p.uuid.slice(0, 8), p.name ?? '-', p.apps.map((a) => a.name).join(','), images(p, full), p.state,
    p.unit, networks(p), p.created, p.started ?? '-',
  ]);
  if (legend) rows.unshift(['UUID', 'NAME', 'APPS', 'IMAGES', 'STATE', 'UNIT', 'NETWORKS', 'CREATED', 'STARTED']);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]!.length))) ?? [];
  return rows.map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`).join('');
}

export function register(program: Command): void {
  program
    .command('list')
    .description('list pods: UUID, name, apps, images, state, unit, networks, created, started')
    .option('--full', 'full UUIDs, image IDs instead of names')
    .option('--no-legend', 'no header line')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nThe JSON output is an array of the objects `sprocket status --format json` prints (docs/pods.md).\nA pod whose status cannot be read is listed as unknown; list then names it and why on stderr and exits 254.')
    .action((o: { full?: boolean; legend: boolean; format: string }, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        const { listPods } = await import('../pod/list.js');
        const pods = await listPods(ctx);
        process.stdout.write(o.format === 'json' ? `${JSON.stringify(pods)}\n` : podTable(pods, Boolean(o.full), o.legend));
        const unknown = pods.filter((p) => p.state === 'unknown');
        if (unknown.length) throw (await import('../errors.js')).failedFor('pods whose status cannot be read', unknown.map((p) => ({ name: p.uuid, error: p.note })));
      }));
}
