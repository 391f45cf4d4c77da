// The HTTPS transport (src/image/http.ts) against a real TLS server with a
// throwaway CA: a registry's certs.d CA is trusted beside the default roots
// and nothing else is, and one transport's requests share a kept connection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getSmall, type Transport } from '../../../src/image/http.js';
import { SprocketError } from '../../../src/errors.js';
import { makeCa, startServer, type TestServer } from '../../support/web.js';

let tmp: string;
let web: TestServer;
let ca: string;
let otherCa: string;
const ports: number[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sprocket-transport-'));
  fs.mkdirSync(path.join(tmp, 'a'));
  fs.mkdirSync(path.join(tmp, 'b'));
  const made = makeCa(path.join(tmp, 'a'));
  ca = fs.readFileSync(made.caFile, 'utf8');
  otherCa = fs.readFileSync(makeCa(path.join(tmp, 'b')).caFile, 'utf8');
  web = await startServer(0, made);
  web.routes.set('/doc', (req, res) => {
    ports.push(req.socket.remotePort!);
    res.writeHead(200).end('hello');
  });
});
after(async () => {
  await web.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const transport = (extraCa?: string[]): Transport => ({ allowHttp: false, skipTlsVerify: false, ...(extraCa ? { extraCa } : {}) });
const refused = (e: unknown) => e instanceof SprocketError && e.kind === 'io' && /certificate/i.test(e.message) && e.file === `${web.origin}/doc`;

test('a certs.d CA is trusted, and its transport keeps one connection for several requests', async () => {
  ports.length = 0;
  const t = transport([ca]);
  for (let i = 0; i < 3; i++) assert.equal((await getSmall(`${web.origin}/doc`, t)).body.toString(), 'hello');
  assert.equal(new Set(ports).size, 1, `requests came on ports ${ports.join(', ')}`);
});

test('a server whose CA is neither a default root nor in certs.d is refused', async () => {
  await assert.rejects(getSmall(`${web.origin}/doc`, transport()), refused);
  await assert.rejects(getSmall(`${web.origin}/doc`, transport([otherCa])), refused);
});

test('--insecure-options=tls accepts it', async () => {
  assert.equal((await getSmall(`${web.origin}/doc`, { allowHttp: false, skipTlsVerify: true })).body.toString(), 'hello');
});
