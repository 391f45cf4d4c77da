import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SprocketError } from '../../../src/errors.js';
import { registerPod, unregisterPod } from '../../../src/metadata/register.js';
import { podHmacKey, podOfToken, tokenIndexDir, tokenIndexFile } from '../../../src/metadata/secrets.js';
import { POD_A, POD_B, stateDir } from '../../support/metadata-state.js';

let dir: string;
before(async () => {
  dir = await stateDir();
});
after(() => fs.rm(dir, { recursive: true, force: true }));

const mode = async (p: string) => (await fs.stat(p)).mode & 0o777;

describe('registerPod', () => {
  it('gives AC_METADATA_URL on 127.0.0.1:2375 ending with the token, no trailing slash', async () => {
    const { url, token } = await registerPod(dir, POD_A);
    assert.equal(url, `http://127.0.0.1:2375/${token}`);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
  });

  it('writes the token and the key readable by root only, and the index names the pod', async () => {
    const { token } = await registerPod(dir, POD_A);
    const secrets = path.join(dir, 'pods', POD_A, 'metadata');
    assert.equal(await fs.readFile(path.join(secrets, 'token'), 'utf8'), token);
    assert.match(await fs.readFile(path.join(secrets, 'hmac-key'), 'utf8'), /^[0-9a-f]{128}$/);
    assert.equal((await podHmacKey(dir, POD_A))!.length, 64);
    assert.equal(await mode(path.join(secrets, 'token')), 0o600);
    assert.equal(await mode(path.join(secrets, 'hmac-key')), 0o600);
    assert.equal(await mode(tokenIndexDir(dir)), 0o700);
    assert.equal(await fs.readFile(tokenIndexFile(dir, token), 'utf8'), POD_A);
    assert.deepEqual((await fs.readdir(secrets)).sort(), ['hmac-key', 'token'], 'no temporary files left');
    assert.equal(await podOfToken(dir, token), POD_A);
  });

  it('registering again keeps the token and the key', async () => {
    const first = await registerPod(dir, POD_B);
    const key = await podHmacKey(dir, POD_B);
    assert.deepEqual(await registerPod(dir, POD_B), first);
    assert.deepEqual(await podHmacKey(dir, POD_B), key);
  });

  it('restores a lost index entry', async () => {
    const { token } = await registerPod(dir, POD_B);
    await fs.rm(tokenIndexFile(dir, token));
    assert.equal(await podOfToken(dir, token), null);
    await registerPod(dir, POD_B);
    assert.equal(await podOfToken(dir, token), POD_B);
  });

  it('refuses a pod that does not exist, and writes nothing', async () => {
    const uuid = '0f0f0f0f-0000-4000-8000-00000000000f';
    await assert.rejects(registerPod(dir, uuid), (e: unknown) => e instanceof SprocketError && e.kind === 'not-found' && e.file === path.join(dir, 'pods', uuid));
    await assert.rejects(fs.stat(path.join(dir, 'pods', uuid)));
  });
});

describe('registerPod of a pod being made', () => {
  it('writes into the temporary directory; the token works once it is renamed into place', async () => {
    const uuid = '0d0d0d0d-0000-4000-8000-00000000000d';
    const tmp = path.join(dir, 'pods', `.new-${uuid}`);
    await fs.mkdir(tmp);
    const { token } = await registerPod(dir, uuid, { podDir: tmp });
    assert.equal(await fs.readFile(path.join(tmp, 'metadata', 'token'), 'utf8'), token);
    assert.equal(await podOfToken(dir, token), null);
    await fs.rename(tmp, path.join(dir, 'pods', uuid));
    assert.equal(await podOfToken(dir, token), uuid);
    await unregisterPod(dir, uuid);
    assert.equal(await podOfToken(dir, token), null);
  });
});

describe('podOfToken', () => {
  it('does not trust an index entry the pod\'s own token does not confirm', async () => {
    const { token } = await registerPod(dir, POD_A);
    const forged = 'F'.repeat(43);
    await fs.writeFile(tokenIndexFile(dir, forged), POD_A);
    assert.equal(await podOfToken(dir, forged), null);
    assert.equal(await podOfToken(dir, token), POD_A);
  });

  it('ignores an index entry that is not a UUID, and tokens of the wrong shape', async () => {
    const forged = 'G'.repeat(43);
    await fs.writeFile(tokenIndexFile(dir, forged), '../../etc');
    assert.equal(await podOfToken(dir, forged), null);
    assert.equal(await podOfToken(dir, '../x'), null);
    assert.equal(await podHmacKey(dir, '../x'), null);
  });
});

describe('unregisterPod', () => {
  it('removes the index entry and the secrets; twice is fine', async () => {
    const { token } = await registerPod(dir, POD_A);
    await unregisterPod(dir, POD_A);
    assert.equal(await podOfToken(dir, token), null);
    assert.equal(await podHmacKey(dir, POD_A), null);
    await assert.rejects(fs.stat(tokenIndexFile(dir, token)));
    await assert.rejects(fs.stat(path.join(dir, 'pods', POD_A, 'metadata')));
    await unregisterPod(dir, POD_A);
    await unregisterPod(dir, '0e0e0e0e-0000-4000-8000-00000000000e');
  });
});
