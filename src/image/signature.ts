// Verifies the detached, armored OpenPGP signature of an ACI (FILE.aci.asc)
// against the keys trusted for the image's name.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { SprocketError } from '../errors.js';
import { formatFingerprint, trustedKeysFor, type ConfigDirs, type TrustedKey } from './trust.js';

export interface SignatureOrigin {
  /** Where the ACI and the signature came from, for messages. */
  aci: string;
  signature: string;
  /** Key URLs the publisher offers (from discovery), for the hint. */
  keyUrls?: string[];
}

const untrusted = (message: string, file: string, hint?: string) => new SprocketError('untrusted', message, { file, hint });

/** Resolves with the key that made a good signature over the ACI, or throws 'untrusted'. */
export async function verifyImageSignature(aciPath: string, armoredSignature: string, name: string, dirs: ConfigDirs, origin: SignatureOrigin): Promise<TrustedKey> {
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature });
  } catch (e) {
    throw untrusted(`not an armored OpenPGP signature: ${(e as Error).message}`, origin.signature);
  }
  const packet = signature.packets[0];
  if (!packet) throw untrusted('the signature holds no signature packet', origin.signature);
  const signer = packet.issuerFingerprint ? Buffer.from(packet.issuerFingerprint).toString('hex') : packet.issuerKeyID.toHex();

  const trusted = (await trustedKeysFor(name, dirs)).find((k) => k.key.getKeys(packet.issuerKeyID).length > 0);
  if (!trusted) {
    const key = origin.keyUrls?.[0] ?? 'KEYFILE';
    throw untrusted(`signed by key ${formatFingerprint(signer)}, which is not trusted for ${name}`, origin.aci, `if you trust this key for ${name}, run: sprocket trust --prefix ${name} ${key}`);
  }

  const message = await openpgp.createMessage({ binary: Readable.toWeb(createReadStream(aciPath)) as ReadableStream<Uint8Array> });
  try {
    const result = await openpgp.verify({ message, signature, verificationKeys: trusted.key, format: 'binary' });
    // The signature is checked once the message has been read through.
    const reader = (result.data as ReadableStream<Uint8Array>).getReader();
    while (!(await reader.read()).done);
    await result.signatures[0]!.verified;
  } catch (e) {
    throw untrusted(`the signature by ${formatFingerprint(trusted.fingerprint)} does not match the image: ${(e as Error).message}`, origin.aci);
  }
  return trusted;
}
