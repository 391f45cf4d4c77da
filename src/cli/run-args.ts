// The rkt-style command line of `run` and `prepare`, which commander cannot
// express: pod flags, then one group per app,
//   [pod flags] IMAGE [app flags] [-- ARGS] [--- IMAGE [app flags] [-- ARGS]]...
// A new app starts at `---` or at the next word that is not a flag.
import type { z } from 'zod';
import { usage } from '../errors.js';
import { PULL_POLICIES, type PullPolicy } from '../image/pull-policy.js';
import { GRANT_OPTIONS, type AppRequest, type PodRequest, type SecretRequest, type VolumeRequest } from '../pod/request.js';
import { isNetFlag, NET_FLAGS } from '../net/flags.js';
import { addNetFlag } from '../net/request.js';
import { Annotation, isolatorIn } from '../spec/index.js';
import { issueMessage, jsonPath } from '../spec/issues.js';
import { RESTART_ANNOTATION, RESTART_DELAY_ANNOTATION, RestartDelay, RestartPolicy } from '../../stage1-nspawn/plan.js';
import { ENV_NAME_RULE, isEnvName, isSecretName, SECRET_NAME_RULE } from '../spec/patterns.js';
import { HEALTH_ANNOTATIONS, HEALTH_FLAGS, HEALTH_VALUES, type HealthKey } from '../../stage1-nspawn/health.js';
import { SHARE_PROCESSES_ANNOTATION } from '../../stage1-nspawn/app-domain.js';
import { POD_LIMIT_FLAGS, PodLimitsRequest } from '../../stage1-nspawn/pod-limits.js';

type FlagKind = 'value' | 'bool';

const POD_FLAGS: Record<string, FlagKind> = {
  '--pod-manifest': 'value',
  '--volume': 'value',
  '--name': 'value',
  '--uuid-file-save': 'value',
  '--set-env': 'value',
  '--set-env-file': 'value',
  '--secret': 'value',
  '--inherit-env': 'bool',
  '--mds-register': 'bool',
  '--insecure-options': 'value',
  '--pull-policy': 'value',
  ...Object.fromEntries(NET_FLAGS.map((f) => [f, 'value' as const])),
  '--interactive': 'bool',
  '--detach': 'bool',
  '--strict-isolators': 'bool',
  '--private-users': 'value',
  ...Object.fromEntries(Object.values(POD_LIMIT_FLAGS).map((l) => [l.flag, 'value' as const])),
  '--unit-mode': 'value',
};
const APP_FLAGS: Record<string, FlagKind> = {
  '--name': 'value',
  '--exec': 'value',
  '--user': 'value',
  '--group': 'value',
  '--working-dir': 'value',
  '--environment': 'value',
  '--secret': 'value',
  '--mount': 'value',
  '--readonly-rootfs': 'bool',
  '--memory': 'value',
  '--cpu': 'value',
  '--cpu-shares': 'value',
  '--caps-retain': 'value',
  '--caps-remove': 'value',
  '--seccomp': 'value',
  '--oom-score-adj': 'value',
  '--oom-score-adjust': 'value',
  '--supplementary-gids': 'value',
  '--annotation': 'value',
  '--user-annotation': 'value',
  '--user-label': 'value',
  '--restart': 'value',
  '--restart-delay': 'value',
  '--share-processes': 'bool',
  ...Object.fromEntries(Object.values(HEALTH_FLAGS).map((f) => [f, 'value' as const])),
};
const HEALTH_KEY_OF = new Map(Object.entries(HEALTH_FLAGS).map(([k, f]) => [f, k as HealthKey]));
const LIMIT_KEY_OF = new Map(Object.entries(POD_LIMIT_FLAGS).map(([k, l]) => [l.flag, k as keyof PodLimitsRequest]));
const SHORT: Record<string, string> = { '-d': '--detach' };

export const isHelp = (argv: string[]) => {
  const end = argv.findIndex((a) => !a.startsWith('-') || a === '--');
  return argv.slice(0, end < 0 ? argv.length : end).some((a) => a === '-h' || a === '--help');
};

/** Parses the words after `run` / `prepare` into a pod request; `env` is what --inherit-env passes on. */
export function parseRunArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): PodRequest {
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
  if (pod.inheritedEnv) pod.inheritedEnv = inheritable(env);
  if (pod.podManifest && pod.apps.length) {
    throw usage('--pod-manifest replaces images: give one or the other', { field: '--pod-manifest' });
  }
  if (!pod.podManifest && !pod.apps.length) throw usage('no image given', { hint: 'sprocket run IMAGE [app flags] [--- IMAGE ...]' });
  if (pod.interactive && pod.apps.length > 1) throw usage('--interactive needs exactly one app', { field: '--interactive' });
  if (pod.unitMode === 'inline' && (pod.detach || pod.interactive)) {
    throw usage('--unit-mode=inline runs the pod as the main process of the calling service: it cannot be detached or interactive', { field: '--unit-mode' });
  }
  if (pod.interactive && pod.detach) throw usage('--interactive runs in the foreground: it cannot be detached', { field: '--interactive' });
  return pod;
}

function setPodFlag(pod: PodRequest, flag: string, value: string | boolean): void {
  const s = value as string;
  if (isNetFlag(flag)) {
    addNetFlag((pod.network ??= {}), flag, s);
    return;
  }
  const limit = LIMIT_KEY_OF.get(flag);
  if (limit) {
    // Numbers as numbers; a time span, infinity or a wrong word as given, for the schema to judge.
    const given = limit !== 'logRateLimitInterval' && /^\d+$/.test(s) ? Number(s) : s;
    pod.limits = { ...pod.limits, [limit]: checked(PodLimitsRequest.shape[limit].unwrap(), given, flag) };
    return;
  }
  switch (flag) {
    case '--pod-manifest': pod.podManifest = s; break;
    case '--volume': pod.volumes.push(parseVolume(s)); break;
    case '--name': pod.name = s; break;
    case '--uuid-file-save': pod.uuidFileSave = s; break;
    case '--set-env': pod.setEnv.push(parseEnvVar(s, flag)); break;
    case '--set-env-file': pod.setEnvFile = s; break;
    case '--secret': pod.secrets = withSecret(pod.secrets, s); break;
    case '--inherit-env': pod.inheritedEnv = value ? [] : undefined; break;
    case '--mds-register': pod.mdsRegister = value as boolean; break;
    case '--insecure-options': setInsecureOptions(pod, s); break;
    case '--pull-policy':
      if (!(PULL_POLICIES as readonly string[]).includes(s)) throw usage(`expected ${PULL_POLICIES.join(', ')}, got "${s}"`, { field: flag });
      pod.pullPolicy = s as PullPolicy;
      break;
    case '--strict-isolators': pod.strictIsolators = value as boolean; break;
    case '--private-users':
      if (s !== 'yes' && s !== 'no') throw usage(`expected yes or no, got "${s}"`, { field: flag });
      pod.privateUsers = s === 'yes';
      break;
    case '--interactive': pod.interactive = value as boolean; break;
    case '--detach': pod.detach = value as boolean; break;
    case '--unit-mode':
      if (s !== 'transient' && s !== 'inline') throw usage(`expected transient or inline, got "${s}"`, { field: flag });
      pod.unitMode = s;
      break;
  }
}

/**
 * `paths` is for the pod (sensitive paths open), `capabilities` and `labels`
 * let images widen those defaults; the other options are for fetching images.
 */
function setInsecureOptions(pod: PodRequest, s: string): void {
  const words = s.split(',');
  const on = (w: string) => words.includes(w) || words.includes('all');
  if (on('paths')) pod.insecurePaths = true;
  if (GRANT_OPTIONS.some(on)) pod.imageGrants = { capabilities: on('capabilities'), labels: on('labels'), seccomp: on('seccomp') };
  const fetch = words.filter((w) => w !== 'paths' && !(GRANT_OPTIONS as readonly string[]).includes(w));
  if (fetch.length) pod.insecureOptions = fetch.join(',');
}

function setAppFlag(app: AppRequest, flag: string, value: string | boolean): void {
  const s = value as string;
  const health = HEALTH_KEY_OF.get(flag);
  if (health) {
    checked(HEALTH_VALUES[health], s, flag);
    setAnnotation(app, { name: HEALTH_ANNOTATIONS[health], value: s });
    return;
  }
  switch (flag) {
    case '--name': app.name = s; break;
    case '--exec': app.exec = s; break;
    case '--user': app.user = s; break;
    case '--group': app.group = s; break;
    case '--working-dir': app.workingDir = s; break;
    case '--environment': app.environment.push(parseEnvVar(s, flag)); break;
    case '--secret': app.secrets = withSecret(app.secrets, s); break;
    case '--mount': app.mounts.push(parseMount(s)); break;
    case '--readonly-rootfs': app.readOnlyRootFS = value as boolean; break;
    case '--supplementary-gids': app.supplementaryGids = parseGids(s); break;
    case '--annotation':
      setAnnotation(app, checked(Annotation, parseNameValue(s, flag), flag));
      break;
    case '--restart':
    case '--restart-delay': {
      const [schema, name] = flag === '--restart' ? [RestartPolicy, RESTART_ANNOTATION] : [RestartDelay, RESTART_DELAY_ANNOTATION];
      setAnnotation(app, { name, value: checked(schema, s, flag) });
      break;
    }
    case '--share-processes': setAnnotation(app, { name: SHARE_PROCESSES_ANNOTATION, value: String(value) }); break;
    case '--user-annotation': {
      const { name, value: v } = parseNameValue(s, flag);
      app.userAnnotations = { ...app.userAnnotations, [name]: v };
      break;
    }
    case '--user-label': {
      const { name, value: v } = parseNameValue(s, flag);
      app.userLabels = { ...app.userLabels, [name]: v };
      break;
    }
    default: {
      // An isolator flag: the last one of a name counts.
      const iso = checked(isolatorIn('app'), flagIsolator(flag, s), flag);
      app.isolators = [...(app.isolators ?? []).filter((i) => i.name !== iso.name), iso];
    }
  }
}

/** Sets one annotation of the app; a later one of a name replaces an earlier one. */
function setAnnotation(app: AppRequest, a: { name: string; value: string }): void {
  app.annotations = [...(app.annotations ?? []).filter((b) => b.name !== a.name), a];
}

/** The appc isolator an isolator flag stands for (rkt's flags), before validation. */
function flagIsolator(flag: string, s: string): { name: string; value: unknown } {
  const list = (text: string) => text.split(',').filter(Boolean);
  const int = (text: string) => (/^-?\d+$/.test(text) ? Number(text) : text);
  switch (flag) {
    case '--memory': return { name: 'resource/memory', value: { limit: s } };
    case '--cpu': return { name: 'resource/cpu', value: { limit: s } };
    case '--cpu-shares': return { name: 'os/linux/cpu-shares', value: int(s) };
    case '--caps-retain': return { name: 'os/linux/capabilities-retain-set', value: { set: list(s) } };
    case '--caps-remove': return { name: 'os/linux/capabilities-remove-set', value: { set: list(s) } };
    case '--seccomp': return parseSeccomp(s);
    default: return { name: 'os/linux/oom-score-adj', value: int(s) };
  }
}

/** `mode=retain|remove[,errno=ENAME],SYSCALL...` (rkt's --seccomp). */
function parseSeccomp(s: string): { name: string; value: unknown } {
  const flag = '--seccomp';
  let mode: string | undefined;
  let errno: string | undefined;
  const set: string[] = [];
  for (const part of s.split(',').filter(Boolean)) {
    if (part.startsWith('mode=')) mode = part.slice(5);
    else if (part.startsWith('errno=')) errno = part.slice(6);
    else set.push(part);
  }
  if (mode !== 'retain' && mode !== 'remove') {
    throw usage(`expected mode=retain or mode=remove, then [errno=ENAME,]SYSCALL,...; got "${s}"`, { field: flag });
  }
  return { name: `os/linux/seccomp-${mode}-set`, value: { set, ...(errno !== undefined ? { errno } : {}) } };
}

/** Validates a flag's value with its appc schema: the error names the flag and quotes the value. */
function checked<S extends z.ZodType>(schema: S, input: unknown, flag: string): z.output<S> {
  const r = schema.safeParse(input, { reportInput: true });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = jsonPath(issue.path);
  throw usage(`${at ? `${at}: ` : ''}${issueMessage(issue)}`, { field: flag });
}

function parseGids(s: string): number[] {
  const words = s.split(',');
  if (!words.every((w) => /^\d+$/.test(w) && Number(w) <= 0xfffffffe)) {
    throw usage(`expected group IDs separated by commas (like 1024,2048), got "${s}"`, { field: '--supplementary-gids' });
  }
  return words.map(Number);
}

/** The variables of `env` that an app can be given (names systemd accepts in Environment=). */
function inheritable(env: NodeJS.ProcessEnv): { name: string; value: string }[] {
  return Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined && isEnvName(e[0]) && !e[1].includes('\0'))
    .map(([name, value]) => ({ name, value }));
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

/** `secrets` and one more, from --secret NAME=FILE; a name twice for the same apps is refused (which file would be meant?). */
function withSecret(secrets: SecretRequest[] | undefined, s: string): SecretRequest[] {
  const flag = '--secret';
  const eq = s.indexOf('=');
  if (eq <= 0 || eq === s.length - 1) throw usage(`expected NAME=FILE, got "${s}"`, { field: flag });
  const name = s.slice(0, eq);
  if (!isSecretName(name)) throw usage(`"${name}" is not a secret name (${SECRET_NAME_RULE})`, { field: flag });
  if (secrets?.some((x) => x.name === name)) throw usage(`secret ${name} is given twice`, { field: flag });
  return [...(secrets ?? []), { name, file: s.slice(eq + 1) }];
}

/** NAME=VALUE of an app's environment: the name as an image's (spec/patterns.ts). */
function parseEnvVar(s: string, flag: string) {
  const v = parseNameValue(s, flag);
  if (!isEnvName(v.name)) throw usage(`"${v.name}" is not an environment variable name (${ENV_NAME_RULE})`, { field: flag });
  return v;
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
