// The rkt-style command line of `run` and `prepare`, which commander cannot
// express: pod flags, then one group per app,
//   [pod flags] IMAGE [app flags] [-- ARGS] [--- IMAGE [app flags] [-- ARGS]]...
// A new app starts at `---` or at the next word that is not a flag.
import { usage } from '../errors.js';
import type { AppRequest, PodRequest, VolumeRequest } from '../pod/request.js';

type FlagKind = 'value' | 'bool';

const POD_FLAGS: Record<string, FlagKind> = {
  '--pod-manifest': 'value',
  '--volume': 'value',
  '--name': 'value',
  '--uuid-file-save': 'value',
  '--set-env': 'value',
  '--insecure-options': 'value',
  '--net': 'value',
  '--interactive': 'bool',
  '--detach': 'bool',
  '--strict-isolators': 'bool',
};
const APP_FLAGS: Record<string, FlagKind> = {
  '--name': 'value',
  '--exec': 'value',
  '--user': 'value',
  '--group': 'value',
  '--working-dir': 'value',
  '--environment': 'value',
  '--mount': 'value',
  '--readonly-rootfs': 'bool',
};
const SHORT: Record<string, string> = { '-d': '--detach' };

export const isHelp = (argv: string[]) => {
  const end = argv.findIndex((a) => !a.startsWith('-') || a === '--');
  return argv.slice(0, end < 0 ? argv.length : end).some((a) => a === '-h' || a === '--help');
};

/** Parses the words after `run` / `prepare` into a pod request. */
export function parseRunArgs(argv: string[]): PodRequest {
  const pod: PodRequest = { volumes: [], setEnv: [], interactive: false, detach: false, apps: [] };
  let app: AppRequest | undefined;
  let i = 0;
  const next = (flag: string) => {
    if (i >= argv.length) throw usage(`${flag} needs a value`, { field: flag });
    return argv[i++]!;
  };
  while (i < argv.length) {
    const word = argv[i++]!;
    if (word === '---') {
      if (!app) throw usage("'---' before any image", { field: '---' });
      app = undefined;
      if (i >= argv.length) throw usage("'---' must be followed by an image", { field: '---' });
      continue;
    }
    if (word === '--') {
      if (!app) throw usage("'--' before any image: app arguments follow an image", { field: '--' });
      while (i < argv.length && argv[i] !== '---') app.args.push(argv[i++]!);
      continue;
    }
    if (!word.startsWith('-') || word === '-') {
      app = { image: word, args: [], environment: [], mounts: [] };
      pod.apps.push(app);
      continue;
    }
    const eq = word.indexOf('=');
    const flag = SHORT[word] ?? (eq > 0 ? word.slice(0, eq) : word);
    const table = app ? APP_FLAGS : POD_FLAGS;
    const kind = table[flag];
    if (!kind) {
      const where = app ? `app flag (after image ${app.image})` : 'pod flag (before the first image)';
      throw usage(`unknown ${where}: ${flag}`, { field: flag, hint: 'see sprocket run --help' });
    }
    const inline = eq > 0 && !SHORT[word] ? word.slice(eq + 1) : undefined;
    const value = kind === 'bool' ? parseBool(inline ?? 'true', flag) : (inline ?? next(flag));
    if (app) setAppFlag(app, flag, value);
    else setPodFlag(pod, flag, value);
  }
  if (pod.podManifest && pod.apps.length) {
    throw usage('--pod-manifest replaces images: give one or the other', { field: '--pod-manifest' });
  }
  if (!pod.podManifest && !pod.apps.length) throw usage('no image given', { hint: 'sprocket run IMAGE [app flags] [--- IMAGE ...]' });
  if (pod.interactive && pod.apps.length > 1) throw usage('--interactive needs exactly one app', { field: '--interactive' });
  if (pod.interactive && pod.detach) throw usage('--interactive runs in the foreground: it cannot be detached', { field: '--interactive' });
  return pod;
}

function setPodFlag(pod: PodRequest, flag: string, value: string | boolean): void {
  const s = value as string;
  switch (flag) {
    case '--pod-manifest': pod.podManifest = s; break;
    case '--volume': pod.volumes.push(parseVolume(s)); break;
    case '--name': pod.name = s; break;
    case '--uuid-file-save': pod.uuidFileSave = s; break;
    case '--set-env': pod.setEnv.push(parseNameValue(s, flag)); break;
    case '--insecure-options': setInsecureOptions(pod, s); break;
    case '--net':
      if (s !== 'host' && s !== 'none') throw usage(`expected host or none, got "${s}"`, { field: flag });
      pod.net = s;
      break;
    case '--strict-isolators': pod.strictIsolators = value as boolean; break;
    case '--interactive': pod.interactive = value as boolean; break;
    case '--detach': pod.detach = value as boolean; break;
  }
}

/** `paths` is for the pod (sensitive paths open); the other options are for fetching images. */
function setInsecureOptions(pod: PodRequest, s: string): void {
  const words = s.split(',');
  if (words.includes('paths') || words.includes('all')) pod.insecurePaths = true;
  const fetch = words.filter((w) => w !== 'paths');
  if (fetch.length) pod.insecureOptions = fetch.join(',');
}

function setAppFlag(app: AppRequest, flag: string, value: string | boolean): void {
  const s = value as string;
  switch (flag) {
    case '--name': app.name = s; break;
    case '--exec': app.exec = s; break;
    case '--user': app.user = s; break;
    case '--group': app.group = s; break;
    case '--working-dir': app.workingDir = s; break;
    case '--environment': app.environment.push(parseNameValue(s, flag)); break;
    case '--mount': app.mounts.push(parseMount(s)); break;
    case '--readonly-rootfs': app.readOnlyRootFS = value as boolean; break;
  }
}

function parseBool(s: string, flag: string): boolean {
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw usage(`expected true or false, got "${s}"`, { field: flag });
}

function parseNameValue(s: string, flag: string) {
  const eq = s.indexOf('=');
  if (eq <= 0) throw usage(`expected NAME=VALUE, got "${s}"`, { field: flag });
  return { name: s.slice(0, eq), value: s.slice(eq + 1) };
}

/** `key=value,key=value` after an optional leading bare word. */
function parseFields(s: string, flag: string, allowed: string[]): { head?: string; fields: Map<string, string> } {
  const parts = s.split(',');
  const head = parts[0]!.includes('=') ? undefined : parts.shift();
  const fields = new Map<string, string>();
  for (const p of parts) {
    const eq = p.indexOf('=');
    const key = p.slice(0, eq);
    if (eq <= 0 || !allowed.includes(key)) {
      throw usage(`unexpected "${p}": expected one of ${allowed.map((k) => `${k}=`).join(', ')}`, { field: flag });
    }
    if (fields.has(key)) throw usage(`${key} given twice`, { field: flag });
    fields.set(key, p.slice(eq + 1));
  }
  return { head, fields };
}

function parseVolume(s: string): VolumeRequest {
  const flag = '--volume';
  const { head, fields } = parseFields(s, flag, ['kind', 'source', 'readOnly', 'recursive', 'mode', 'uid', 'gid']);
  if (!head) throw usage(`a volume starts with its name: NAME,kind=host|empty,...; got "${s}"`, { field: flag });
  const kind = fields.get('kind');
  if (kind !== 'host' && kind !== 'empty') throw usage(`volume ${head}: kind must be host or empty`, { field: flag });
  const int = (key: string) => {
    const v = fields.get(key);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw usage(`volume ${head}: ${key} must be a number, got "${v}"`, { field: flag });
    return Number(v);
  };
  const bool = (key: string) => (fields.has(key) ? parseBool(fields.get(key)!, `${flag} ${head} ${key}`) : undefined);
  const volume: VolumeRequest = { name: head, kind };
  const set = <K extends keyof VolumeRequest>(key: K, v: VolumeRequest[K] | undefined) => {
    if (v !== undefined) volume[key] = v;
  };
  set('source', fields.get('source'));
  set('readOnly', bool('readOnly'));
  set('recursive', bool('recursive'));
  set('mode', fields.get('mode'));
  set('uid', int('uid'));
  set('gid', int('gid'));
  return volume;
}

function parseMount(s: string) {
  const flag = '--mount';
  const { head, fields } = parseFields(s, flag, ['volume', 'target']);
  const volume = fields.get('volume');
  const target = fields.get('target');
  if (head !== undefined || !volume || !target) throw usage(`expected volume=NAME,target=PATH, got "${s}"`, { field: flag });
  return { volume, target };
}
