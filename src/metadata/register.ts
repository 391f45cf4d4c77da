// Registering a pod with the metadata service = writing its token and HMAC
// key into the state directory (see secrets.ts). There is no RPC: the
// service reads them per request. Called by pod start (register) and by
// stop/rm/gc (unregister), under the pod's lock.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { notFound, SprocketError } from '../errors.js';
import { writeAtomically } from '../pod/state.js';
import { isToken, podSecretPaths, readIfExists, tokenIndexDir, tokenIndexFile } from './secrets.js';

import { METADATA_HOST, METADATA_PORT } from './address.js';

export { METADATA_HOST, METADATA_PORT, METADATA_SOCKET } from './address.js';

/** AC_METADATA_URL of the pod with this token: no trailing slash. */
export const metadataUrl = (token: string) => `http://${METADATA_HOST}:${METADATA_PORT}/${token}`;

const HMAC_KEY_BYTES = 64;

/** Writes a secret file: atomically, in a directory only root may enter, then readable by root only. */
async function writeSecret(file: string, data: string): Promise<void> {
  await writeAtomically(file, data);
  chmodSync(file, 0o600);
}

/**
 * Registers pod `uuid` of state directory `stateDir`: makes (or keeps, when
 * it was registered before) its token and HMAC key, and indexes the token.
 * Returns AC_METADATA_URL and the token. `podDir` is where the pod is being
 * made (pods/.new-<uuid>, renamed to pods/<uuid> later): the token works
 * once the pod is in place.
 */
export async function registerPod(stateDir: string, uuid: string, opts: { podDir?: string } = {}): Promise<{ url: string; token: string }> {
  const paths = podSecretPaths(stateDir, uuid, opts.podDir);
  const podDir = path.dirname(paths.dir);
  if (!statSync(podDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw notFound('no such pod', { file: podDir });
  }
  // Synchronous file calls, as writeAtomically's: a few small files on the way to every pod's start.
  try {
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    mkdirSync(tokenIndexDir(stateDir), { recursive: true, mode: 0o700 });
    // The key first: a token is only ever valid together with its key.
    if (!(await readIfExists(paths.hmacKey))) await writeSecret(paths.hmacKey, randomBytes(HMAC_KEY_BYTES).toString('hex'));
    let token = (await readIfExists(paths.token))?.toString('utf8') ?? '';
    if (!isToken(token)) {
      token = randomBytes(32).toString('base64url');
      await writeSecret(paths.token, token);
    }
    await writeSecret(tokenIndexFile(stateDir, token), uuid);
    return { url: metadataUrl(token), token };
  } catch (e) {
    throw new SprocketError('io', `cannot register the pod with the metadata service: ${(e as Error).message}`, { file: paths.dir }, { cause: e });
  }
}

/** Forgets pod `uuid`: its token stops working and its signatures no longer verify. Idempotent. */
export async function unregisterPod(stateDir: string, uuid: string, opts: { podDir?: string } = {}): Promise<void> {
  const paths = podSecretPaths(stateDir, uuid, opts.podDir);
  try {
    const token = (await readIfExists(paths.token))?.toString('utf8');
    // The index entry first: once it is gone, the token grants nothing.
    if (token) await fs.rm(tokenIndexFile(stateDir, token), { force: true });
    await fs.rm(paths.dir, { recursive: true, force: true });
  } catch (e) {
    throw new SprocketError('io', `cannot unregister the pod from the metadata service: ${(e as Error).message}`, { file: paths.dir }, { cause: e });
  }
}
