// Pod unit files (docs/units.md), after podman's quadlet: NAME.pod, in
// systemd's unit file syntax, with a [Pod] section whose keys are run's pod
// flags (--set-env → SetEnv=) and App= lines (an image and its app flags,
// as on run's command line); [Unit], [Service] and [Install] pass through.
// It becomes NAME.service, whose main process is the pod (run
// --unit-mode=inline). `sprocket generate unit` prints the same service for
// a command line. Pure text in, text out: the generator runs before D-Bus.
import { usage } from '../errors.js';
import { socketAddress } from '../../stage1-nspawn/app-socket.js';
import { inlineReadyCheck, inlineStopPost, inlineStopRequest } from '../../stage1-nspawn/exit-record.js';
import { execLine } from '../../stage1-nspawn/unit-syntax.js';
import { podDeviceLines } from '../../stage1-nspawn/devices.js';
import { podLimitLines, POD_LIMIT_FLAGS, type PodLimits } from '../../stage1-nspawn/pod-limits.js';
import type { PortRequest } from '../net/request.js';

/** The launcher of the Debian package: it execs the pod (packaging/sprocket.sh). */
export const SPROCKET = '/usr/bin/sprocket';

/** [Pod] keys: run's pod flags by name (--set-env is SetEnv=; the limits by systemd's names), and App=. */
const POD_KEYS: Record<string, string> = {
  PodManifest: '--pod-manifest',
  Volume: '--volume',
  Name: '--name',
  SetEnv: '--set-env',
  SetEnvFile: '--set-env-file',
  Secret: '--secret',
  InheritEnv: '--inherit-env',
  MdsRegister: '--mds-register',
  Net: '--net',
  Port: '--port',
  Dns: '--dns',
  DnsSearch: '--dns-search',
  DnsOpt: '--dns-opt',
  Hostname: '--hostname',
  HostsEntry: '--hosts-entry',
  InsecureOptions: '--insecure-options',
  PullPolicy: '--pull-policy',
  StrictIsolators: '--strict-isolators',
  PrivateUsers: '--private-users',
  ...Object.fromEntries(Object.values(POD_LIMIT_FLAGS).map((l) => [l.key, l.flag])),
};
const BOOL_KEYS = new Set(['InheritEnv', 'MdsRegister', 'StrictIsolators']);
const PASSED = ['Unit', 'Service', 'Install'];

/** A pod unit file, read: its [Pod] as run's words, and the lines of the sections that pass through. */
export interface PodUnitFile {
  runArgs: string[];
  sections: Record<string, string[]>;
}

/** Splits an App= value into words: whitespace separates, "..." and '...' group, \ escapes the next character. */
export function splitWords(text: string, where: { file: string; field: string }): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quote !== "'") {
      if (i + 1 >= text.length) throw usage('ends with a lone backslash', where);
      word = (word ?? '') + text[++i];
    } else if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (quote) throw usage(`an unclosed ${quote}`, where);
  if (word !== undefined) words.push(word);
  return words;
}

/** Reads a pod unit file; errors name the file, the line and the key. Its pod is named `name` unless Name= says otherwise. */
export function parsePodUnitFile(text: string, file: string, name?: string): PodUnitFile {
  const sections: Record<string, string[]> = { Unit: [], Service: [], Install: [] };
  const pod: string[] = [];
  const apps: string[][] = [];
  let section: string | undefined;
  let sawPod = false;
  // systemd's syntax: a trailing backslash continues the line; # and ; start comments.
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const at = (field: string) => ({ file, field: `line ${i + 1}: ${field}` });
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      if (section !== 'Pod' && !PASSED.includes(section)) throw usage(`unknown section [${section}]: a pod unit file has [Unit], [Pod], [Service] and [Install]`, at(`[${section}]`));
      sawPod ||= section === 'Pod';
      return;
    }
    const eq = line.indexOf('=');
    if (!section) throw usage('a setting before any section', at(line));
    if (eq <= 0) throw usage('expected KEY=VALUE', at(line));
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (section !== 'Pod') {
      sections[section]!.push(`${key}=${value}`);
      return;
    }
    if (key === 'App') {
      const words = splitWords(value, at(key));
      if (!words.length || words[0]!.startsWith('-')) throw usage('App= starts with an image, then its app flags (as after an image on run\'s command line)', at(key));
      apps.push(words);
      return;
    }
    const flag = POD_KEYS[key];
    if (!flag) throw usage(`unknown key in [Pod]: expected one of ${[...Object.keys(POD_KEYS), 'App'].join(', ')}`, at(key));
    if (BOOL_KEYS.has(key) && value !== 'true' && value !== 'false') throw usage(`expected true or false, got "${value}"`, at(key));
    pod.push(`${flag}=${value}`);
  });
  if (!sawPod) throw usage('no [Pod] section', { file });
  if (name !== undefined && !pod.some((w) => w.startsWith('--name='))) pod.unshift(`--name=${name}`);
  const runArgs = [...pod, ...apps.flatMap((words, i) => (i ? ['---', ...words] : words))];
  return { runArgs, sections };
}

/**
 * The service of an inline pod (docs/units.md): Type=notify (active once
 * every app is ready; an app that failed by then fails the start), the pod's systemd manages its own cgroup subtree
 * (Delegate=yes), SIGTERM to nspawn alone (KillMode=mixed), a stop asked
 * of it marked before nspawn is signalled, the pod's exit record written
 * when it stops; what a pod's own unit carries: the closed device policy
 * and the pod's `limits` (its [Pod] keys' or the defaults). The operator's
 * lines follow ours, so they win where a setting is given twice.
 */
export function podServiceText(unit: PodUnitFile, source: string, limits: PodLimits): string {
  const out = [`# Generated by sprocket from ${source} (docs/units.md)`, '[Unit]'];
  if (source.startsWith('/')) out.push(`SourcePath=${source}`);
  out.push(
    'Wants=network-online.target',
    'After=network-online.target sprocket-metadata.socket',
    'RequiresMountsFor=/var/lib/sprocket',
    ...unit.sections.Unit!,
    '',
    '[Service]',
    'Type=notify',
    'Delegate=yes',
    'KillMode=mixed',
    `ExecStart=${execLine([SPROCKET, 'run', '--unit-mode=inline', ...unit.runArgs])}`,
    `ExecStartPost=${execLine(inlineReadyCheck())}`,
    `ExecStop=${execLine(inlineStopRequest())}`,
    `ExecStopPost=${execLine(inlineStopPost(SPROCKET))}`,
    ...podDeviceLines(),
    ...podLimitLines(limits),
    ...unit.sections.Service!,
  );
  if (unit.sections.Install!.length) out.push('', '[Install]', ...unit.sections.Install!);
  return `${out.join('\n')}\n`;
}

/**
 * The socket of a pod unit file that publishes ports (Port=, docs/units.md):
 * systemd listens on them and starts the service, whose pod gets the
 * sockets (nspawn passes them to the pod's systemd, which hands each to the
 * app's socket unit of the same address). Stream sockets: the generator does
 * not read images; for a udp port the operator writes NAME.socket in
 * /etc/systemd/system, which hides this one.
 */
export function podSocketText(ports: PortRequest[], source: string): string {
  const out = [`# Generated by sprocket from ${source} (docs/units.md)`, '[Unit]'];
  if (source.startsWith('/')) out.push(`SourcePath=${source}`);
  out.push(`Description=sockets of the pod of ${source}`, '', '[Socket]', ...ports.map((p) => `ListenStream=${socketAddress(p.hostPort, p.hostIP)}`));
  return `${out.join('\n')}\n`;
}

/** The [Install] targets that want or require the unit (WantedBy=, RequiredBy=): the generator links it there. */
export function installLinks(unit: PodUnitFile): { dir: string; target: string }[] {
  return unit.sections.Install!.flatMap((line) => {
    const m = /^(WantedBy|RequiredBy)=(.*)$/.exec(line);
    if (!m) return [];
    const suffix = m[1] === 'WantedBy' ? 'wants' : 'requires';
    return m[2]!.split(/\s+/).filter(Boolean).map((target) => ({ dir: `${target}.${suffix}`, target }));
  });
}
