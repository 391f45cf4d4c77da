// `sprocket status POD`: the pod's state, unit, machine, times and each app.
import { Command, Option } from 'commander';
import type { PodStatus } from '../pod/status.js';
import { parseDuration, withPods } from './pod-context.js';

/** `healthy failures=0 checked=TIME result=exit-code exit-status=1: OUTPUT`, the output on one line, control characters escaped. */
function healthLine(h: NonNullable<PodStatus['apps'][number]['health']>): string {
  const output = h.output?.trim().replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? ' | ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return [h.state, `failures=${h.failures}`, ...(h.checked ? [`checked=${h.checked}`] : []), ...(h.result ? [`result=${h.result}`] : []),
    ...(h.exitStatus !== undefined ? [`exit-status=${h.exitStatus}`] : [])].join(' ') + (output ? `: ${output}` : '');
}

/** `ends=2 result=signal signal=KILL at=TIME`: the log copier's ends that no stop asked for. */
function copierLine(c: NonNullable<PodStatus['logCopier']>): string {
  return [`ends=${c.ends}`, `result=${c.result}`, ...(c.exitStatus !== undefined ? [`exit-status=${c.exitStatus}`] : []), ...(c.signal ? [`signal=${c.signal}`] : []), `at=${c.at}`].join(' ');
}

function text(s: PodStatus): string {
  const line = (k: string, v: string | number | undefined) => (v === undefined ? '' : `${k}=${v}\n`);
  let out = line('uuid', s.uuid) + line('name', s.name) + line('state', s.state) + line('unit', s.unit) + line('machine', s.machine)
    + line('private-users', s.privateUsers) + line('uid-range', s.uidRange && `${s.uidRange.base}:${s.uidRange.size}`)
    + line('pid', s.pid) + line('attached', s.attached === undefined ? undefined : String(s.attached)) + line('created', s.created) + line('started', s.started) + line('exited', s.exited)
    + line('exit-status', s.exitStatus) + line('signal', s.signal) + line('failure', s.failure) + line('note', s.note)
    + line('log-copier', s.logCopier && copierLine(s.logCopier))
    + line('networks', s.networks?.map((n) => `${n.network}:${n.interface}:${n.ip ?? '-'}`).join(','));
  for (const a of s.apps) {
    const how = a.exitStatus !== undefined ? ` exit-status=${a.exitStatus}` : a.signal ? ` signal=${a.signal}` : '';
    out += `app-${a.name}=${a.state}${how}${a.restarts !== undefined ? ` restarts=${a.restarts}` : ''}\n`;
    if (a.health) out += `app-${a.name}-health=${healthLine(a.health)}\n`;
    if (a.secrets) out += `app-${a.name}-secrets=${a.secrets.join(',')}\n`;
    for (const i of a.isolators ?? []) out += `app-${a.name}-isolator=${i.isolator} ${i.outcome}: ${i.detail}\n`;
  }
  for (const i of s.isolators ?? []) out += `isolator=${i.isolator} ${i.outcome}: ${i.detail}\n`;
  return out;
}

export function register(program: Command): void {
  program
    .command('status')
    .description("show a pod's state, unit, machine, pid, times and each app's state and exit status")
    .argument('<pod>', 'UUID (or a unique prefix) or name of the pod')
    .addOption(new Option('--wait [duration]', 'wait until the pod has exited (at most DURATION, like 30s: then exit 254 if it still runs)'))
    .addOption(new Option('--wait-ready [duration]', 'wait until the pod is ready: every app started, apps of Type=notify said READY=1 (at most DURATION, default 120s: then exit 254)').conflicts('wait'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nThe JSON fields are documented in docs/pods.md.')
    .action((ref: string, o: { wait?: string | true; waitReady?: string | true; format: string }, cmd: Command) =>
      withPods(cmd, async (ctx) => {
        const [{ findPod }, { podStatus }] = await Promise.all([import('../pod/find.js'), import('../pod/status.js')]);
        const uuid = await findPod(ctx, ref);
        const limit = (v: string | true, flag: string) => (v === true ? {} : { timeoutMs: parseDuration(v, flag) });
        const status = o.waitReady !== undefined ? await (await import('../pod/ready.js')).waitReady(ctx, uuid, limit(o.waitReady, '--wait-ready'))
          : o.wait !== undefined ? await (await import('../pod/run.js')).waitExited(ctx, uuid, limit(o.wait, '--wait'))
          : await podStatus(ctx, uuid);
        process.stdout.write(o.format === 'json' ? `${JSON.stringify(status)}\n` : text(status));
      }));
}
