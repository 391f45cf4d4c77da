// `sprocket fetch` and `sprocket trust` as an operator runs them, against a
// real HTTPS server on LOOPBACK:443 (test/support/web.ts) that serves
// discovery pages, ACIs, signatures and keys.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImageStore } from '../../../src/image/store.js';
import { hostLabels } from '../../../src/image/discovery.js';
import { fetchImages } from '../../../src/image/fetch.js';
import { parseInsecureOptions } from '../../../src/image/fetch-options.js';
import { runSprocket } from '../../support/cli.js';
import { buildAci, type TestManifest } from '../../support/aci-tar.js';
import { makeKey, signDetached, type TestKey } from '../../support/pgp.js';
import { discoveryPage, LOOPBACK as H, makeCa, startServer, staticBody, type TestServer } from '../../support/web.js';

let tmp: string;
let caFile: string;
let web: TestServer;
let publisher: TestKey;
let stranger: TestKey;
let dir: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sprocket-fetch-'));
  caFile = makeCa(tmp).caFile;
  web = await startServer(443, makeCaFromFile());
  [publisher, stranger] = await Promise.all([makeKey('Publisher'), makeKey('Stranger')]);
  web.routes.set('/keys.gpg', staticBody(publisher.publicArmored));
  web.routes.set('/fx', discoveryPage([
    { name: 'ac-discovery', content: `${H}/fx https://${H}/dl/{name}-{version}-{os}-{arch}.{ext}` },
    { name: 'ac-discovery-pubkeys', content: `${H}/fx https://${H}/keys.gpg` },
  ]));
});
after(async () => {
  await web.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// The server certificate was made next to the CA file.
function makeCaFromFile() {
  return { caFile, key: fs.readFileSync(path.join(tmp, 'server.key'), 'utf8'), cert: fs.readFileSync(path.join(tmp, 'server.pem'), 'utf8') };
}

/** A fresh state and config directory per test. */
function freshDirs() {
  dir = fs.mkdtempSync(path.join(tmp, 'state-'));
  return dir;
}

const sprocket = (args: string[], input?: string) =>
  runSprocket(['--dir', dir, '--local-config', path.join(dir, 'etc'), '--system-config', path.join(dir, 'usr'), ...args], {
    env: { NODE_EXTRA_CA_CERTS: caFile },
    input,
  });

const { os: hostOs, arch } = hostLabels();
const labels = (version: string) => [
  { name: 'version', value: version },
  { name: 'os', value: hostOs },
  { name: 'arch', value: arch },
];

/** Serves an ACI (and its signature by `signer`) where discovery of `name`:`version` finds it. */
async function publish(name: string, version: string, signer: TestKey, manifest: Partial<TestManifest> = {}): Promise<Buffer> {
  const aci = await buildAci({ name, labels: labels(version), ...manifest }, { 'hello.txt': `${name} ${version}\n` });
  const base = `/dl/${name}-${version}-${hostOs}-${arch}`;
  web.routes.set(`${base}.aci`, staticBody(aci));
  web.routes.set(`${base}.aci.asc`, staticBody(await signDetached(aci, signer)));
  return aci;
}

const trustPublisher = async () => {
  fs.writeFileSync(path.join(dir, 'publisher.asc'), publisher.publicArmored);
  const r = await sprocket(['trust', '--prefix', `${H}/fx`, path.join(dir, 'publisher.asc')]);
  assert.equal(r.code, 0, r.stderr);
};

const storedNames = async () => (await (await ImageStore.open(dir)).list()).images.map((i) => i.manifest.name).sort();

test('fetch by name: discovery, a good signature, the image ID on stdout', async () => {
  freshDirs();
  await trustPublisher();
  await publish(`${H}/fx/hello`, '1.0.0', publisher);
  const r = await sprocket(['fetch', `${H}/fx/hello:1.0.0`]);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  assert.match(id, /^sha512-[0-9a-f]{128}$/);
  assert.ok(await (await ImageStore.open(dir)).has(id));
});

test('a signature by an untrusted key is refused, naming the key and the trust command; the store stays empty', async () => {
  freshDirs();
  await trustPublisher();
  await publish(`${H}/fx/evil`, '1.0.0', stranger);
  const r = await sprocket(['fetch', `${H}/fx/evil:1.0.0`]);
  assert.equal(r.code, 254);
  assert.match(r.stderr.replace(/ /g, ''), new RegExp(stranger.fingerprint, 'i'));
  assert.ok(r.stderr.includes(`sprocket trust --prefix ${H}/fx/evil https://${H}/keys.gpg`), r.stderr);
  assert.deepEqual(await storedNames(), []);
});

test('--insecure-options=image skips verification and says so', async () => {
  freshDirs();
  await publish(`${H}/fx/unsigned`, '1.0.0', stranger);
  const r = await sprocket(['fetch', '--insecure-options=image', `${H}/fx/unsigned:1.0.0`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: signature verification is disabled/);
  assert.deepEqual(await storedNames(), [`${H}/fx/unsigned`]);
});

test('an image whose name differs from the one discovered is refused and not stored', async () => {
  freshDirs();
  await trustPublisher();
  await publish(`${H}/fx/liar`, '1.0.0', publisher, { name: `${H}/fx/other` });
  const r = await sprocket(['fetch', `${H}/fx/liar:1.0.0`]);
  assert.equal(r.code, 254);
  assert.ok(r.stderr.includes(`: name: the image is named "${H}/fx/other"`), r.stderr);
  assert.deepEqual(await storedNames(), []);
});

test('an image whose labels differ from those asked for is refused and not stored', async () => {
  freshDirs();
  await trustPublisher();
  await publish(`${H}/fx/versioned`, '2.0.0', publisher, { labels: labels('1.0.0') });
  const r = await sprocket(['fetch', `${H}/fx/versioned:2.0.0`]);
  assert.equal(r.code, 254);
  assert.match(r.stderr, /labels\.version: the image has version=1\.0\.0, but version=2\.0\.0 was asked for/);
  assert.deepEqual(await storedNames(), []);
});

test('dependencies are fetched first, recursively', async () => {
  freshDirs();
  await trustPublisher();
  await publish(`${H}/fx/base`, '1.0.0', publisher);
  await publish(`${H}/fx/middle`, '1.0.0', publisher, { dependencies: [{ imageName: `${H}/fx/base`, labels: [{ name: 'version', value: '1.0.0' }] }] });
  await publish(`${H}/fx/top`, '1.0.0', publisher, { dependencies: [{ imageName: `${H}/fx/middle`, labels: [{ name: 'version', value: '1.0.0' }] }] });
  const r = await sprocket(['fetch', `${H}/fx/top:1.0.0`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  assert.deepEqual(await storedNames(), [`${H}/fx/base`, `${H}/fx/middle`, `${H}/fx/top`]);
});

test('a local file is verified against FILE.asc; a tampered one is refused', async () => {
  freshDirs();
  await trustPublisher();
  const aci = await buildAci({ name: `${H}/fx/local`, labels: labels('1.0.0') });
  const file = path.join(dir, 'local.aci');
  fs.writeFileSync(file, aci);
  fs.writeFileSync(`${file}.asc`, await signDetached(aci, publisher));
  const ok = await sprocket(['fetch', file]);
  assert.equal(ok.code, 0, ok.stderr);

  const bad = path.join(dir, 'bad.aci');
  fs.writeFileSync(bad, await buildAci({ name: `${H}/fx/bad`, labels: labels('1.0.0') }));
  fs.copyFileSync(`${file}.asc`, `${bad}.asc`);
  const r = await sprocket(['fetch', bad]);
  assert.equal(r.code, 254);
  assert.match(r.stderr, /does not match the image/);
  assert.deepEqual(await storedNames(), [`${H}/fx/local`]);
});

test('a local ACI is checked and imported from the same bytes: the file swapped after its signature was checked is not what lands in the store', async () => {
  freshDirs();
  await trustPublisher();
  const signed = await buildAci({ name: `${H}/fx/swap`, labels: labels('1.0.0') }, { 'who.txt': 'publisher\n' });
  const file = path.join(dir, 'swap.aci');
  fs.writeFileSync(file, signed);
  fs.writeFileSync(`${file}.asc`, await signDetached(signed, publisher));
  const forged = await buildAci({ name: `${H}/fx/swap`, labels: labels('1.0.0') }, { 'who.txt': 'attacker\n' });
  const store = await ImageStore.open(dir, { warn: () => {} });
  // The owner of the file rewrites it once the check is done, just before the import reads it.
  const swapping = Object.assign(Object.create(store) as ImageStore, {
    import: (acipath: string, opts: Parameters<ImageStore['import']>[1]) => {
      fs.writeFileSync(file, forged);
      return store.import(acipath, opts);
    },
  });
  const [id] = await fetchImages([file], {
    store: swapping, stateDir: dir, config: { localConfig: path.join(dir, 'etc'), systemConfig: path.join(dir, 'usr') },
    insecure: parseInsecureOptions(undefined), warn: () => {},
  });
  assert.equal(fs.readFileSync(file).toString(), forged.toString(), 'the file was swapped');
  assert.equal(fs.readFileSync(path.join(store.treePath(id!), 'who.txt'), 'utf8'), 'publisher\n');
  assert.deepEqual((await store.list()).images.map((i) => i.id), [id]);
  assert.deepEqual(fs.readdirSync(path.join(store.images, 'tmp')), [], 'the private copy is gone');
});

test('an ACI URL on plain http is refused without --insecure-options=http', async () => {
  freshDirs();
  const r = await sprocket(['fetch', '--insecure-options=image', 'http://127.0.0.1:9/x.aci']);
  assert.equal(r.code, 254);
  assert.match(r.stderr, /plain http is not allowed/);
});

test('trust: a key from discovery, then trust list shows prefix, fingerprint and user ID', async () => {
  freshDirs();
  const r = await sprocket(['trust', '--prefix', `${H}/fx`]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(dir, `etc/trustedkeys/prefix.d/${H}/fx`, publisher.fingerprint)));
  fs.mkdirSync(path.join(dir, 'usr/trustedkeys/root.d'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'stranger.asc'), stranger.publicArmored);
  assert.equal((await sprocket(['--local-config', path.join(dir, 'usr'), 'trust', '--root', path.join(dir, 'stranger.asc')])).code, 0);
  const list = await sprocket(['trust', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`^${H.replaceAll(".", "\\.")}/fx\\s+${publisher.fingerprint}\\s+Publisher <publisher@example.com>$`, 'm'));
  assert.match(list.stdout, new RegExp(`^\\(root\\)\\s+${stranger.fingerprint}\\s+Stranger`, 'm'));
});

test('trust refuses --root with a URL, a prefix with .. and a file that is no key', async () => {
  freshDirs();
  assert.equal((await sprocket(['trust', '--root', `https://${H}/keys.gpg`])).code, 64);
  fs.writeFileSync(path.join(dir, 'junk'), 'junk');
  const dots = await sprocket(['trust', '--prefix', 'a.com/../../x', path.join(dir, 'junk')]);
  assert.equal(dots.code, 254);
  assert.match(dots.stderr, /--prefix/);
  const junk = await sprocket(['trust', '--prefix', 'a.com', path.join(dir, 'junk')]);
  assert.equal(junk.code, 254);
  assert.match(junk.stderr, /not an armored OpenPGP public key/);
  assert.equal(fs.existsSync(path.join(dir, 'etc/trustedkeys/prefix.d/a.com')), false);
});

test('a dependency cycle is refused and nothing is stored', async () => {
  freshDirs();
  await trustPublisher();
  const dep = (name: string) => ({ dependencies: [{ imageName: name, labels: [{ name: 'version', value: '1.0.0' }] }] });
  await publish(`${H}/fx/chicken`, '1.0.0', publisher, dep(`${H}/fx/egg`));
  await publish(`${H}/fx/egg`, '1.0.0', publisher, dep(`${H}/fx/chicken`));
  const r = await sprocket(['fetch', `${H}/fx/chicken:1.0.0`]);
  assert.equal(r.code, 254);
  assert.ok(r.stderr.includes(`dependency cycle: ${H}/fx/chicken -> ${H}/fx/egg -> ${H}/fx/chicken`), r.stderr);
  assert.deepEqual(await storedNames(), []);
});
