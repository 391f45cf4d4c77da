// Trusted signing keys, kept as rkt keeps them (Documentation/signing-and-
// verification-guide.md): one armored public key per file named by its
// fingerprint, under CONFIG/trustedkeys/prefix.d/<image name prefix>/ or, for
// keys trusted for every image, CONFIG/trustedkeys/root.d/. Keys in the local
// configuration directory extend those of the system one and override a key
// with the same fingerprint.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { SprocketError, invalid, usage } from '../errors.js';
import { checkName } from './discovery.js';
import { getSmall, type Transport } from './http.js';

export interface ConfigDirs {
  /** --local-config: where `sprocket trust` writes. */
  localConfig: string;
  /** --system-config: vendor keys, read only. */
  systemConfig: string;
}

/** Either a name prefix the key is trusted for, or every image (root). */
export type TrustScope = { prefix: string } | { root: true };

export interface TrustedKey {
  /** The prefix, or undefined for a root key. */
  prefix?: string;
  fingerprint: string;
  userIds: string[];
  file: string;
  key: openpgp.PublicKey;
}

const FINGERPRINT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The scope of `--prefix P` or `--root`; exactly one of them, P a safe image name. */
export function trustScope(o: { prefix?: string; root?: boolean }): TrustScope {
  if (Boolean(o.prefix) === Boolean(o.root)) throw usage('give exactly one of --prefix PREFIX or --root');
  return o.prefix ? { prefix: checkName(o.prefix, { field: '--prefix' }) } : { root: true };
}

function scopeDir(config: string, scope: TrustScope): string {
  const base = path.join(config, 'trustedkeys');
  if ('root' in scope) return path.join(base, 'root.d');
  return path.join(base, 'prefix.d', ...checkName(scope.prefix, { field: '--prefix' }).split('/'));
}

/** Reads the public keys of an armored key file (a keyring may hold several). */
export async function readPublicKeys(armored: string, source: string): Promise<openpgp.PublicKey[]> {
  let keys: openpgp.Key[];
  try {
    keys = await openpgp.readKeys({ armoredKeys: armored });
  } catch (e) {
    throw new SprocketError('invalid', `not an armored OpenPGP public key: ${(e as Error).message}`, { file: source }, { cause: e });
  }
  return keys.map((k) => k.toPublic());
}

/** Stores `keys` as trusted for `scope` in the local configuration directory. */
export async function addTrustedKeys(config: string, scope: TrustScope, keys: openpgp.PublicKey[]): Promise<TrustedKey[]> {
  const dir = scopeDir(config, scope);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const added: TrustedKey[] = [];
  for (const key of keys) {
    const fingerprint = key.getFingerprint();
    const file = path.join(dir, fingerprint);
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, key.armor(), { mode: 0o644 });
    await fs.rename(tmp, file);
    added.push({ prefix: 'prefix' in scope ? scope.prefix : undefined, fingerprint, userIds: key.getUserIDs(), file, key });
  }
  return added;
}

/** Every trusted key, local ones overriding system ones of the same scope and fingerprint. */
export async function listTrustedKeys(dirs: ConfigDirs): Promise<TrustedKey[]> {
  const byPlace = new Map<string, TrustedKey>();
  for (const config of [dirs.systemConfig, dirs.localConfig]) {
    const base = path.join(config, 'trustedkeys');
    for (const file of await keyFiles(path.join(base, 'root.d'), false)) byPlace.set(`/${path.basename(file)}`, await loadKey(file, undefined));
    const prefixRoot = path.join(base, 'prefix.d');
    for (const file of await keyFiles(prefixRoot, true)) {
      const prefix = path.relative(prefixRoot, path.dirname(file)).split(path.sep).join('/');
      byPlace.set(`${prefix}/${path.basename(file)}`, await loadKey(file, prefix));
    }
  }
  return [...byPlace.values()].sort((a, b) => (a.prefix ?? '').localeCompare(b.prefix ?? '') || a.fingerprint.localeCompare(b.fingerprint));
}

/** Keys that may sign `name`: root keys and keys of every path prefix of the name. */
export async function trustedKeysFor(name: string, dirs: ConfigDirs): Promise<TrustedKey[]> {
  return (await listTrustedKeys(dirs)).filter((k) => k.prefix === undefined || name === k.prefix || name.startsWith(`${k.prefix}/`));
}

/** Files named like a fingerprint below `dir` (recursively for prefix.d). */
async function keyFiles(dir: string, recursive: boolean): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw new SprocketError('io', `cannot read trusted keys: ${e.message}`, { file: dir });
  });
  return entries.filter((e) => e.isFile() && FINGERPRINT.test(e.name)).map((e) => path.join(e.parentPath, e.name));
}

async function loadKey(file: string, prefix: string | undefined): Promise<TrustedKey> {
  const [key, ...more] = await readPublicKeys(await fs.readFile(file, 'utf8'), file);
  if (!key || more.length) throw invalid('a trusted key file must hold exactly one public key', { file });
  const fingerprint = key.getFingerprint();
  if (fingerprint !== path.basename(file)) throw invalid(`file name does not match the key's fingerprint ${fingerprint}`, { file });
  return { prefix, fingerprint, userIds: key.getUserIDs(), file, key };
}

/** 40 hex digits in groups of four, as gpg shows them. */
export const formatFingerprint = (fp: string) => fp.toUpperCase().replace(/(.{4})(?!$)/g, '$1 ');

/** Reads an armored key from a local file or an http(s) URL. */
export async function loadKeyText(source: string, transport: Transport): Promise<string> {
  if (/^https?:\/\//.test(source)) return (await getSmall(source, transport)).body.toString('utf8');
  return fs.readFile(source, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new SprocketError(e.code === 'ENOENT' ? 'not-found' : 'io', `cannot read the key: ${e.message}`, { file: source });
  });
}
