// The registry client against a real HTTP server that speaks the token flow
// (401 with a Bearer challenge, a token from the realm for docker.d's
// credentials), and the credential files' rules.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ImageStore } from '../../../src/image/store.js';
import { pullDockerImage } from '../../../src/image/oci/pull.js';
import { readHostAuthorization } from '../../../src/image/credentials.js';
import { SprocketError } from '../../../src/errors.js';
import { ociLayout, type OciLayout } from '../../support/oci-layout.js';
import { startServer, type TestServer } from '../../support/web.js';
import { tempDir, treeOf } from '../image/craft.js';

const SECRET = 's3cret-password';
let dir: string;
let server: TestServer;
let layout: OciLayout;
let config: { localConfig: string; systemConfig: string };

before(async () => {
  dir = await tempDir('sprocket-registry-');
  server = await startServer(0);
  layout = await ociLayout([[{ name: 'bin/x', body: 'x' }]], { Cmd: ['/bin/x'] });
  const host = new URL(server.origin).host;
  const bearer = 'Bearer issued-token';
  const guarded = (body: Buffer, type?: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    if (req.headers.authorization !== bearer) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${server.origin}/token",service="${host}",scope="repository:org/app:pull"` }).end();
      return;
    }
    res.writeHead(200, type ? { 'content-type': type } : {}).end(body);
  };
  server.routes.set('/token', (req, res) => {
    const ok = req.headers.authorization === `Basic ${Buffer.from(`alice:${SECRET}`).toString('base64')}`;
    if (!ok) return void res.writeHead(401).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'issued-token' }));
  });
  const manifest = layout.files.get(`blobs/sha256/${layout.manifestDigest.slice(7)}`)!;
  server.routes.set('/v2/org/app/manifests/v1', guarded(manifest, 'application/vnd.oci.image.manifest.v1+json'));
  for (const [name, body] of layout.files) if (name.startsWith('blobs/')) server.routes.set(`/v2/org/app/blobs/sha256:${name.slice(13)}`, guarded(body));
  config = { localConfig: path.join(dir, 'etc'), systemConfig: path.join(dir, 'usr-lib') };
  await fs.mkdir(path.join(config.localConfig, 'docker.d'), { recursive: true });
});
after(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const writeCredentials = (password: string, mode = 0o600) =>
  fs.writeFile(path.join(config.localConfig, 'docker.d', 'reg.json'), JSON.stringify({
    rktKind: 'dockerAuth', rktVersion: 'v1', registries: [new URL(server.origin).host], credentials: { user: 'alice', password },
  }), { mode }).then(() => fs.chmod(path.join(config.localConfig, 'docker.d', 'reg.json'), mode));

const pull = async (state: string) =>
  pullDockerImage(`docker://${new URL(server.origin).host}/org/app:v1`, {
    store: await ImageStore.open(path.join(dir, state)), config, transport: { allowHttp: true, skipTlsVerify: false }, policy: 'update', progress: () => {},
  });

const secretFree = (e: SprocketError) => !`${e.describe()} ${e.stack}`.includes(SECRET) && !e.describe().includes(Buffer.from(`alice:${SECRET}`).toString('base64'));

test('token flow: the challenge leads to the realm, docker.d credentials earn a token, the image is pulled', async () => {
  await writeCredentials(SECRET);
  const id = await pull('ok');
  const m = await (await ImageStore.open(path.join(dir, 'ok'))).manifest(id);
  assert.deepEqual(m.app?.exec, ['/bin/x']);
  assert.equal(server.lastHeaders.get('/token')?.authorization?.startsWith('Basic '), true);
});

test('a wrong password is refused with a clear error that does not show it', async () => {
  await writeCredentials('wrong-password');
  await assert.rejects(pull('wrong'), (e: SprocketError) => e.kind === 'untrusted' && /refused the credentials/.test(e.message) && /docker\.d/.test(e.hint ?? '') && !e.describe().includes('wrong-password'));
});

test('a credential file others may read is refused; a broken one is reported without its contents', async () => {
  await writeCredentials(SECRET, 0o644);
  await assert.rejects(pull('open'), (e: SprocketError) => e.kind === 'untrusted' && /mode 0644/.test(e.message) && /chmod 600/.test(e.hint ?? '') && secretFree(e));
  await fs.writeFile(path.join(config.localConfig, 'docker.d', 'reg.json'), `{"credentials": {"password": "${SECRET}"`);
  await fs.chmod(path.join(config.localConfig, 'docker.d', 'reg.json'), 0o600);
  await assert.rejects(pull('broken'), (e: SprocketError) => e.kind === 'invalid' && secretFree(e));
  await fs.mkdir(path.join(config.localConfig, 'auth.d'), { recursive: true });
  await fs.writeFile(path.join(config.localConfig, 'auth.d', 'a.json'), JSON.stringify({ rktKind: 'auth', rktVersion: 'v1', domains: ['example.com'], type: 'oauth', credentials: { password: SECRET } }), { mode: 0o600 });
  await assert.rejects(readHostAuthorization(config), (e: SprocketError) => e.kind === 'invalid' && secretFree(e));
  await fs.rm(path.join(config.localConfig, 'auth.d'), { recursive: true });
});

test('auth.d: an image URL that answers 401 is asked again with the header configured for its host; without auth.d the 401 stands', async () => {
  const host = new URL(server.origin).host;
  await fs.mkdir(path.join(config.localConfig, 'auth.d'), { recursive: true });
  const file = path.join(config.localConfig, 'auth.d', 'site.json');
  await fs.writeFile(file, JSON.stringify({ rktKind: 'auth', rktVersion: 'v1', domains: [host], type: 'oauth', credentials: { token: 'tok-123' } }));
  await fs.chmod(file, 0o600);
  server.routes.set('/private.aci', (req, res) => {
    if (req.headers.authorization !== 'Bearer tok-123') return void res.writeHead(401).end();
    res.writeHead(200).end('body');
  });
  const { getSmall } = await import('../../../src/image/http.js');
  const transport = { allowHttp: true, skipTlsVerify: false, hostAuthorization: await readHostAuthorization(config) };
  assert.equal((await getSmall(`${server.origin}/private.aci`, transport)).body.toString(), 'body');
  await assert.rejects(getSmall(`${server.origin}/private.aci`, { allowHttp: true, skipTlsVerify: false }), (e: SprocketError) => /HTTP 401/.test(e.message));
  await fs.rm(path.join(config.localConfig, 'auth.d'), { recursive: true });
});

test('a transfer that the registry cuts short is refused as such, and leaves nothing in the store', async () => {
  const cut = await ociLayout([[{ name: 'bin/x', body: 'x' }], [{ name: 'big', body: randomBytes(2 << 20) }]], { Cmd: ['/bin/x'] });
  const manifest = cut.files.get(`blobs/sha256/${cut.manifestDigest.slice(7)}`)!;
  server.routes.set('/v2/org/cut/manifests/v1', (_req, res) => void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest));
  const victim = cut.layerDigests[1]!;
  for (const [name, body] of cut.files) {
    if (!name.startsWith('blobs/')) continue;
    server.routes.set(`/v2/org/cut/blobs/sha256:${name.slice(13)}`, (_req, res) => {
      if (`sha256:${name.slice(13)}` !== victim) return void res.writeHead(200).end(body);
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
    });
  }
  await writeCredentials(SECRET); // an earlier test leaves a broken file
  const store = await ImageStore.open(path.join(dir, 'cut'));
  await assert.rejects(
    pullDockerImage(`docker://${new URL(server.origin).host}/org/cut:v1`, { store, config, transport: { allowHttp: true, skipTlsVerify: false }, policy: 'update', progress: () => {} }),
    (e: SprocketError) => e.kind === 'io' && /^transfer failed/.test(e.message) && e.file === `${server.origin}/v2/org/cut/blobs/${victim}`,
  );
  assert.deepEqual(await treeOf(store.images), ['blobs', 'tmp'], 'no image, no blob, no scratch directory');
});

test('layers are fetched at once: one that fails stops the transfers of the others, and nothing is stored', { timeout: 30_000 }, async () => {
  const three = await ociLayout([[{ name: 'bin/x', body: 'x' }], [{ name: 'slow', body: randomBytes(2 << 20) }], [{ name: 'bad', body: 'bad' }]], { Cmd: ['/bin/x'] });
  const manifest = three.files.get(`blobs/sha256/${three.manifestDigest.slice(7)}`)!;
  server.routes.set('/v2/org/three/manifests/v1', (_req, res) => void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest));
  const [slow, bad] = [three.layerDigests[1]!, three.layerDigests[2]!];
  let slowClosed!: () => void;
  const slowStopped = new Promise<void>((resolve) => (slowClosed = resolve));
  for (const [name, body] of three.files) {
    if (!name.startsWith('blobs/')) continue;
    const digest = `sha256:${name.slice(13)}`;
    server.routes.set(`/v2/org/three/blobs/${digest}`, (_req, res) => {
      if (digest === slow) {
        // Half of it, then nothing more: only the client can end this transfer.
        res.writeHead(200, { 'content-length': body.length }).write(body.subarray(0, body.length >> 1));
        res.on('close', slowClosed);
        return;
      }
      const sent = Buffer.from(body);
      if (digest === bad) sent[sent.length - 5] ^= 0xff;
      res.writeHead(200).end(sent);
    });
  }
  await writeCredentials(SECRET);
  const store = await ImageStore.open(path.join(dir, 'three'));
  await assert.rejects(
    pullDockerImage(`docker://${new URL(server.origin).host}/org/three:v1`, { store, config, transport: { allowHttp: true, skipTlsVerify: false }, policy: 'update', progress: () => {} }),
    (e: SprocketError) => e.kind === 'invalid' && /has digest sha256:[0-9a-f]{64}, but the manifest says/.test(e.message) && e.field === bad,
  );
  await slowStopped;
  assert.deepEqual(await treeOf(store.images), ['blobs', 'tmp'], 'no image, no blob, no scratch directory');
});
