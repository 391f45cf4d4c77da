// Where a registered pod's metadata secrets live, and how the service finds
// a pod by its token. Everything is on disk so that the service keeps no
// state of its own: it can be restarted, or started by socket activation
// for one request, and still know every pod.
//   DIR/pods/<uuid>/metadata/token      the token in AC_METADATA_URL (0600)
//   DIR/pods/<uuid>/metadata/hmac-key   the pod's HMAC-SHA512 key, hex (0600)
//   DIR/metadata/tokens/<sha256(token)> the pod's UUID (index for the service)
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isUuid } from '../spec/patterns.js';

/** 32 random bytes in base64url, no padding. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const isToken = (s: string) => TOKEN.test(s);

/** `podDir`: the pod's directory while it is made elsewhere (pods/.new-<uuid>); it moves to pods/<uuid>. */
export function podSecretPaths(stateDir: string, uuid: string, podDir = path.join(stateDir, 'pods', uuid)) {
  const dir = path.join(podDir, 'metadata');
  return { dir, token: path.join(dir, 'token'), hmacKey: path.join(dir, 'hmac-key') };
}

export const tokenIndexDir = (stateDir: string) => path.join(stateDir, 'metadata', 'tokens');

/** The index entry of a token: named by its hash, so a directory listing gives no token away. */
export const tokenIndexFile = (stateDir: string, token: string) => path.join(tokenIndexDir(stateDir), createHash('sha256').update(token).digest('hex'));

/** The contents of a file, or null when it does not exist (read synchronously: a few bytes). */
export async function readIfExists(file: string): Promise<Buffer | null> {
  try {
    return readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * The UUID of the registered pod that `token` belongs to, or null. The index
 * only points the way: the pod's own token file must hold the same token
 * (compared in constant time), so a stale or forged index entry grants nothing.
 */
export async function podOfToken(stateDir: string, token: string): Promise<string | null> {
  if (!isToken(token)) return null;
  const uuid = (await readIfExists(tokenIndexFile(stateDir, token)))?.toString('utf8').trim();
  if (!uuid || !isUuid(uuid)) return null;
  const stored = await readIfExists(podSecretPaths(stateDir, uuid).token);
  const given = Buffer.from(token);
  return stored && stored.length === given.length && timingSafeEqual(stored, given) ? uuid : null;
}

/** The HMAC key of a registered pod, or null when there is no such pod. */
export async function podHmacKey(stateDir: string, uuid: string): Promise<Buffer | null> {
  if (!isUuid(uuid)) return null;
  const hex = (await readIfExists(podSecretPaths(stateDir, uuid).hmacKey))?.toString('latin1');
  return hex && /^[0-9a-f]{128}$/.test(hex) ? Buffer.from(hex, 'hex') : null;
}
