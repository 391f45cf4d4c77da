// appc meta discovery against real servers on LOOPBACK:443 and :80 (image
// names are host names, so discovery uses the default ports).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { checkImageName, discoverImage, discoverPubkeys, hostLabels, parseMetaTags, type NamedImage } from '../../../src/image/discovery.js';
import { SprocketError } from '../../../src/errors.js';
import { discoveryPage, LOOPBACK as H, makeCa, startServer, type TestServer } from '../../support/web.js';

const secure = { allowHttp: false, skipTlsVerify: false };
let tmp: string;
let web: TestServer;
let plain: TestServer;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sprocket-discovery-'));
  const ca = makeCa(tmp);
  // This process trusts the test CA the way the CLI does through NODE_EXTRA_CA_CERTS.
  https.globalAgent.options.ca = fs.readFileSync(ca.caFile);
  web = await startServer(443, ca);
  plain = await startServer(80);
});
after(async () => {
  await web.close();
  await plain.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const named = (name: string, labels: Record<string, string> = {}): NamedImage => ({ by: 'name', name, labels });

test('a name that is not an AC identifier is refused before discovery', () => {
  assert.throws(() => checkImageName(named('Example.com/App')), (e: SprocketError) => e.field === 'name');
  assert.throws(() => checkImageName(named('example.com/../etc')), (e: SprocketError) => e.field === 'name');
  assert.deepEqual(checkImageName(named('example.com/app')), named('example.com/app'));
});

test('meta tags: only ac-discovery tags with a prefix and a URL', () => {
  const tags = parseMetaTags(`<meta name="ac-discovery" content="a.com https://a.com/{name}.{ext}">
    <META content='a.com https://a.com/keys.gpg' name='ac-discovery-pubkeys'><meta name="description" content="x y">
    <meta name="ac-discovery" content="only-one-word">`);
  assert.deepEqual(tags, [
    { kind: 'ac-discovery', prefix: 'a.com', url: 'https://a.com/{name}.{ext}' },
    { kind: 'ac-discovery-pubkeys', prefix: 'a.com', url: 'https://a.com/keys.gpg' },
  ]);
});

test('discovery walks up the name and takes the longest prefix and the best template', async () => {
  web.routes.set('/org/app', discoveryPage([{ name: 'ac-discovery', content: `${H}/other https://${H}/wrong/{name}.{ext}` }]));
  web.routes.set('/org', discoveryPage([
    { name: 'ac-discovery', content: `${H}/org https://${H}/short/{name}-{version}.{ext}` },
    { name: 'ac-discovery', content: `${H}/org/app https://${H}/latest/{os}/{arch}/{name}.{ext}` },
    { name: 'ac-discovery', content: `${H}/org/app https://${H}/dl/{os}/{arch}/{name}-{version}.{ext}` },
    { name: 'ac-discovery', content: `${H}/org/app https://${H}/chan/{name}-{channel}.{ext}` },
    { name: 'ac-discovery-pubkeys', content: `${H}/org https://${H}/keys.gpg` },
  ]));
  const { os: hostOs, arch } = hostLabels();
  const found = await discoverImage(named(`${H}/org/app/sub`, { version: '1.0.0' }), secure);
  assert.deepEqual(found, {
    aci: `https://${H}/dl/${hostOs}/${arch}/${H}/org/app/sub-1.0.0.aci`,
    signature: `https://${H}/dl/${hostOs}/${arch}/${H}/org/app/sub-1.0.0.aci.asc`,
    keys: [`https://${H}/keys.gpg`],
  });
  assert.equal(web.hits.get('/org/app/sub'), 1);
  assert.equal(web.hits.get('/org/app'), 1);
  // without a version, "latest" fills {version}
  assert.match((await discoverImage(named(`${H}/org/app`), secure)).aci, /app-latest\.aci$/);
  assert.deepEqual(await discoverPubkeys(`${H}/org/app`, secure), [`https://${H}/keys.gpg`]);
});

test('discovery uses https only unless plain http is allowed', async () => {
  plain.routes.set('/plainonly', discoveryPage([{ name: 'ac-discovery', content: `${H}/plainonly http://${H}/{name}.{ext}` }]));
  await assert.rejects(discoverImage(named(`${H}/plainonly`), secure), (e: SprocketError) =>
    e.kind === 'not-found' && /--insecure-options=http/.test(e.hint ?? ''),
  );
  assert.equal(plain.hits.get('/plainonly'), undefined);
  const found = await discoverImage(named(`${H}/plainonly`), { allowHttp: true, skipTlsVerify: false });
  assert.equal(found.aci, `http://${H}/${H}/plainonly.aci`);
});
