// Credentials and registry certificates from the configuration directories,
// laid out as rkt's (Documentation/configuration.md): CONFIG/auth.d/*.json
// for ACI discovery and image URLs (basic or OAuth bearer, sent after a 401),
// CONFIG/docker.d/*.json for docker registries, and, as Docker and skopeo
// keep them, CONFIG/certs.d/HOST[:PORT]/*.crt: CA certificates trusted for
// that registry. The local directory overrides the system one for the same
// domain. Credential files that others may read are refused, and nothing
// read from them ever appears in a message.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SprocketError } from '../errors.js';
import type { ConfigDirs } from './trust.js';

const AuthFile = z.object({
  rktKind: z.literal('auth'),
  rktVersion: z.literal('v1'),
  domains: z.array(z.string().min(1)).min(1),
  type: z.enum(['basic', 'oauth']),
  credentials: z.union([z.object({ user: z.string(), password: z.string() }), z.object({ token: z.string() })]),
});

const DockerAuthFile = z.object({
  rktKind: z.literal('dockerAuth'),
  rktVersion: z.literal('v1'),
  registries: z.array(z.string().min(1)).min(1),
  credentials: z.object({ user: z.string(), password: z.string() }),
});

export interface BasicCredentials {
  user: string;
  password: string;
}

/** The value of an Authorization header, as auth.d configures it for a host. */
export type HostAuthorization = (host: string) => string | undefined;

export const basicHeader = (c: BasicCredentials) => `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;

/** auth.d: the Authorization header for each configured domain. */
export async function readHostAuthorization(config: ConfigDirs): Promise<HostAuthorization> {
  const byDomain = new Map<string, string>();
  for (const file of await configFiles(config, 'auth.d')) {
    const entry = parseCredentialFile(AuthFile, await readPrivate(file), file);
    const c = entry.credentials;
    const header = entry.type === 'basic' && 'user' in c ? basicHeader(c) : entry.type === 'oauth' && 'token' in c ? `Bearer ${c.token}` : undefined;
    if (!header) throw new SprocketError('invalid', `credentials do not fit type ${entry.type} (basic: user and password; oauth: token)`, { file, field: 'credentials' });
    for (const d of entry.domains) byDomain.set(d, header);
  }
  return (host) => byDomain.get(host);
}

/** docker.d: the credentials for a registry host[:port], if any. */
export async function registryCredentials(config: ConfigDirs, registry: string): Promise<BasicCredentials | undefined> {
  let found: BasicCredentials | undefined;
  for (const file of await configFiles(config, 'docker.d')) {
    const entry = parseCredentialFile(DockerAuthFile, await readPrivate(file), file);
    if (entry.registries.includes(registry)) found = entry.credentials;
  }
  return found;
}

/** certs.d/HOST[:PORT]/*.crt of both directories: PEM certificates of CAs trusted for that registry. */
export async function registryCertificates(config: ConfigDirs, registry: string): Promise<string[]> {
  const pems: string[] = [];
  for (const base of [config.systemConfig, config.localConfig]) {
    const dir = path.join(base, 'certs.d', registry);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const n of names.filter((n) => n.endsWith('.crt')).sort()) pems.push(await fs.readFile(path.join(dir, n), 'utf8'));
  }
  return pems;
}

/** *.json of CONFIG/sub for the system, then the local directory (later files win). */
async function configFiles(config: ConfigDirs, sub: string): Promise<string[]> {
  const files: string[] = [];
  for (const base of [config.systemConfig, config.localConfig]) {
    const dir = path.join(base, sub);
    const names = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw new SprocketError('io', `cannot read the directory: ${e.message}`, { file: dir });
    });
    files.push(...names.filter((n) => n.endsWith('.json')).sort().map((n) => path.join(dir, n)));
  }
  return files;
}

async function readPrivate(file: string): Promise<string> {
  const st = await fs.stat(file);
  if (st.mode & 0o077) {
    throw new SprocketError('untrusted', `credential file is accessible to other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`, {
      file,
      hint: `make it private: chmod 600 ${file}`,
    });
  }
  return fs.readFile(file, 'utf8');
}

/** Parses without ever quoting the file's text: JSON.parse and zod would show parts of it. */
function parseCredentialFile<T>(schema: z.ZodType<T>, text: string, file: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SprocketError('invalid', 'not valid JSON', { file });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SprocketError('invalid', `missing or wrong field (expected ${issue.code === 'invalid_value' ? 'a known value' : 'another value'})`, { file, field: issue.path.join('.') || undefined });
  }
  return parsed.data;
}
