// OpenPGP keys and detached signatures made at test time.
import * as openpgp from 'openpgp';

export interface TestKey {
  publicArmored: string;
  privateKey: openpgp.PrivateKey;
  fingerprint: string;
}

export async function makeKey(name: string): Promise<TestKey> {
  const { privateKey, publicKey } = await openpgp.generateKey({ userIDs: [{ name, email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.com` }], format: 'armored' });
  const priv = await openpgp.readPrivateKey({ armoredKey: privateKey });
  return { publicArmored: publicKey, privateKey: priv, fingerprint: priv.getFingerprint() };
}

/** Detached armored signature over `data`, as in FILE.aci.asc. */
export async function signDetached(data: Buffer, key: TestKey): Promise<string> {
  const message = await openpgp.createMessage({ binary: data });
  return openpgp.sign({ message, signingKeys: key.privateKey, detached: true, format: 'armored' });
}
