// Detached signatures checked against keys trusted per name prefix.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyImageSignature } from '../../../src/image/signature.js';
import { addTrustedKeys, readPublicKeys } from '../../../src/image/trust.js';
import { SprocketError } from '../../../src/errors.js';
import { buildAci } from '../../support/aci-tar.js';
import { makeKey, signDetached, type TestKey } from '../../support/pgp.js';

let tmp: string;
let dirs: { localConfig: string; systemConfig: string };
let aci: string;
let publisher: TestKey;
let stranger: TestKey;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sprocket-signature-'));
  dirs = { localConfig: path.join(tmp, 'etc'), systemConfig: path.join(tmp, 'usr') };
  aci = path.join(tmp, 'app.aci');
  fs.writeFileSync(aci, await buildAci({ name: 'example.com/org/app' }));
  [publisher, stranger] = await Promise.all([makeKey('Publisher'), makeKey('Stranger')]);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const origin = { aci: 'app.aci', signature: 'app.aci.asc' };
const trust = async (config: string, prefix: string, key: TestKey) => addTrustedKeys(config, { prefix }, await readPublicKeys(key.publicArmored, 'key'));

test('a good signature by a key trusted for a parent prefix (system config) is accepted', async () => {
  await trust(dirs.systemConfig, 'example.com/org', publisher);
  const signer = await verifyImageSignature(aci, await signDetached(fs.readFileSync(aci), publisher), 'example.com/org/app', dirs, origin);
  assert.equal(signer.fingerprint, publisher.fingerprint);
});

test('a signature by an untrusted key names the key and the trust command', async () => {
  await trust(dirs.localConfig, 'example.com/or', stranger); // a string prefix, not a path prefix
  await assert.rejects(verifyImageSignature(aci, await signDetached(fs.readFileSync(aci), stranger), 'example.com/org/app', dirs, origin), (e: SprocketError) => {
    assert.equal(e.kind, 'untrusted');
    assert.match(e.message.replace(/ /g, ''), new RegExp(stranger.fingerprint, 'i'));
    assert.match(e.hint ?? '', /sprocket trust --prefix example.com\/org\/app/);
    return true;
  });
});

test('a signature over other bytes is refused', async () => {
  const sig = await signDetached(Buffer.from('something else'), publisher);
  await assert.rejects(verifyImageSignature(aci, sig, 'example.com/org/app', dirs, origin), (e: SprocketError) => e.kind === 'untrusted' && /does not match/.test(e.message));
});

test('garbage instead of a signature is refused', async () => {
  await assert.rejects(verifyImageSignature(aci, 'not a signature', 'example.com/org/app', dirs, origin), (e: SprocketError) => e.file === 'app.aci.asc');
});
