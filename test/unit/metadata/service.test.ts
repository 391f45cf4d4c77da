import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { listen } from '../../../src/metadata/listen.js';
import { registerPod, unregisterPod } from '../../../src/metadata/register.js';
import { podHmacKey } from '../../../src/metadata/secrets.js';
import { MAX_FORM_BYTES, MetadataService } from '../../../src/metadata/service.js';
import { IMAGES, POD_A, POD_B, POD_C, podFile, stateDir } from '../../support/metadata-state.js';

const TEXT = 'text/plain; charset=us-ascii';
const JSON_TYPE = 'application/json';

let dir: string;
let server: http.Server;
let base: string;
const tokens: Record<string, string> = {};

before(async () => {
  dir = await stateDir();
  for (const uuid of [POD_A, POD_B, POD_C]) tokens[uuid] = (await registerPod(dir, uuid)).token;
  [server] = await listen([{ host: '127.0.0.1', port: 0 }], new MetadataService(dir).handle);
  base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await fs.rm(dir, { recursive: true, force: true });
});

const url = (uuid: string, rest: string) => `${base}/${tokens[uuid]}/acMetadata/v1/${rest}`;

async function get(target: string, init?: RequestInit) {
  const res = await fetch(target, init);
  return { status: res.status, type: res.headers.get('content-type'), allow: res.headers.get('allow'), body: await res.text() };
}

const post = (target: string, form: string, type = 'application/x-www-form-urlencoded') => get(target, { method: 'POST', body: form, headers: { 'Content-Type': type } });
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('metadata service: pod endpoints', () => {
  it('pod/uuid is the UUID as us-ascii text without a newline', async () => {
    assert.deepEqual(await get(url(POD_A, 'pod/uuid')), { status: 200, type: TEXT, allow: null, body: POD_A });
    assert.equal((await get(url(POD_B, 'pod/uuid'))).body, POD_B);
  });

  it('pod/manifest is the reified manifest, byte for byte', async () => {
    assert.deepEqual(await get(url(POD_A, 'pod/manifest')), { status: 200, type: JSON_TYPE, allow: null, body: podFile(POD_A) });
  });

  it('pod/annotations are as the manifest has them: null, [] or a list', async () => {
    assert.deepEqual(await get(url(POD_A, 'pod/annotations')), { status: 200, type: JSON_TYPE, allow: null, body: 'null' });
    assert.equal((await get(url(POD_B, 'pod/annotations'))).body, '[]');
    assert.equal((await get(url(POD_C, 'pod/annotations'))).body, '[{"name":"ip-address","value":"10.1.2.3"}]');
  });
});

describe('metadata service: app endpoints', () => {
  it('annotations: the pod app replaces the image annotation of the same name in place, appends the others', async () => {
    const r = await get(url(POD_A, 'apps/web/annotations'));
    assert.equal(r.type, JSON_TYPE);
    assert.deepEqual(JSON.parse(r.body), [
      { name: 'a', value: 'pod' },
      { name: 'b', value: 'image' },
      { name: 'c', value: 'pod' },
    ]);
  });

  it('annotations without pod app annotations are the image manifest\'s as they are', async () => {
    assert.equal((await get(url(POD_A, 'apps/empty/annotations'))).body, '[]');
    assert.equal((await get(url(POD_A, 'apps/nulls/annotations'))).body, 'null');
    assert.equal((await get(url(POD_A, 'apps/absent/annotations'))).body, '[]');
    assert.equal((await get(url(POD_B, 'apps/web/annotations'))).body, JSON.stringify(IMAGES.web.manifest.annotations));
    assert.equal((await get(url(POD_A, 'apps/added/annotations'))).body, '[{"name":"x","value":"pod"}]');
  });

  it('image/manifest is the image manifest as stored; image/id the ID as us-ascii text', async () => {
    assert.deepEqual(await get(url(POD_A, 'apps/web/image/manifest')), { status: 200, type: JSON_TYPE, allow: null, body: JSON.stringify(IMAGES.web.manifest) });
    assert.deepEqual(await get(url(POD_A, 'apps/nulls/image/id')), { status: 200, type: TEXT, allow: null, body: IMAGES.nulls.id });
  });

  it('an app of another pod, or of none, is not found', async () => {
    assert.equal((await get(url(POD_B, 'apps/empty/image/id'))).status, 404);
    assert.equal((await get(url(POD_A, 'apps/nope/annotations'))).status, 404);
  });
});

describe('metadata service: tokens', () => {
  const forbidden = { status: 403, type: TEXT, allow: null, body: 'forbidden\n' };

  it('no token, a wrong one, or a malformed one gets the same 403 whatever the path', async () => {
    for (const p of ['/acMetadata/v1/pod/uuid', `/${'A'.repeat(43)}/acMetadata/v1/pod/uuid`, `/${tokens[POD_A]}x/acMetadata/v1/pod/uuid`, `/${tokens[POD_A]!.slice(1)}/nothing`, '/', `//${tokens[POD_A]}/acMetadata/v1/pod/uuid`]) {
      assert.deepEqual(await get(base + p), forbidden, p);
    }
    assert.deepEqual(await post(`${base}/nope/acMetadata/v1/pod/hmac/sign`, form({ content: 'x' })), forbidden);
  });

  it('a token is not the pod UUID and carries at least 128 random bits', () => {
    const all = Object.values(tokens);
    assert.equal(new Set(all).size, all.length);
    for (const t of all) {
      assert.match(t, /^[A-Za-z0-9_-]{43}$/); // 256 bits
      assert.ok(!Object.keys(tokens).some((u) => t.includes(u.replaceAll('-', ''))));
    }
  });

  it('the token of an unregistered pod gets 403', async () => {
    const token = tokens[POD_C]!;
    await unregisterPod(dir, POD_C);
    try {
      assert.deepEqual(await get(`${base}/${token}/acMetadata/v1/pod/uuid`), forbidden);
    } finally {
      tokens[POD_C] = (await registerPod(dir, POD_C)).token;
    }
    assert.notEqual(tokens[POD_C], token);
  });

  it('a valid token with a path outside the API is 404, a wrong method 405 with Allow', async () => {
    assert.equal((await get(url(POD_A, 'pod/nothing'))).status, 404);
    assert.equal((await get(`${base}/${tokens[POD_A]}/acMetadata/v2/pod/uuid`)).status, 404);
    assert.deepEqual({ ...(await post(url(POD_A, 'pod/uuid'), '')), body: '' }, { status: 405, type: TEXT, allow: 'GET', body: '' });
    const sign = await get(url(POD_A, 'pod/hmac/sign'));
    assert.equal(sign.status, 405);
    assert.equal(sign.allow, 'POST');
  });
});

describe('metadata service: identity (HMAC)', () => {
  it('sign gives the base64 HMAC-SHA512 under the pod key; verify by any pod answers 200', async () => {
    const signed = await post(url(POD_A, 'pod/hmac/sign'), form({ content: 'hello, pod' }));
    assert.equal(signed.status, 200);
    assert.equal(signed.type, TEXT);
    const key = (await podHmacKey(dir, POD_A))!;
    assert.equal(signed.body, createHmac('sha512', key).update('hello, pod').digest('base64'));
    assert.deepEqual(await post(url(POD_B, 'pod/hmac/verify'), form({ content: 'hello, pod', uuid: POD_A, signature: signed.body })), { status: 200, type: TEXT, allow: null, body: '' });
  });

  it('verify answers 403 for another pod\'s UUID, other content, a changed or broken signature, an unknown pod', async () => {
    const signature = (await post(url(POD_A, 'pod/hmac/sign'), form({ content: 'c' }))).body;
    const flipped = Buffer.from(signature, 'base64');
    flipped[0]! ^= 1;
    for (const fields of [
      { content: 'c', uuid: POD_B, signature },
      { content: 'd', uuid: POD_A, signature },
      { content: 'c', uuid: POD_A, signature: flipped.toString('base64') },
      { content: 'c', uuid: POD_A, signature: signature.slice(0, 20) },
      { content: 'c', uuid: '0d0d0d0d-0000-4000-8000-00000000000d', signature },
      { content: 'c', uuid: `../${POD_A}`, signature },
    ]) {
      assert.equal((await post(url(POD_A, 'pod/hmac/verify'), form(fields))).status, 403, JSON.stringify(fields));
    }
  });

  it('signatures of pods are different for the same content', async () => {
    const a = await post(url(POD_A, 'pod/hmac/sign'), form({ content: 'same' }));
    const b = await post(url(POD_B, 'pod/hmac/sign'), form({ content: 'same' }));
    assert.notEqual(a.body, b.body);
  });

  it('the form is decoded to bytes: + is a space, %XX any byte; an unescaped + in a signature still verifies', async () => {
    const key = (await podHmacKey(dir, POD_A))!;
    const bytes = Buffer.from([0x61, 0x20, 0xff, 0x00, 0x2b]);
    const signed = await post(url(POD_A, 'pod/hmac/sign'), 'content=a+%FF%00%2b&content=ignored');
    assert.equal(signed.body, createHmac('sha512', key).update(bytes).digest('base64'));
    // Find content whose signature holds a +, and send that + raw (it arrives as a space).
    let content = 0;
    let sig = '';
    do sig = createHmac('sha512', key).update(String(++content)).digest('base64');
    while (!sig.includes('+'));
    assert.equal((await post(url(POD_B, 'pod/hmac/verify'), `content=${content}&uuid=${POD_A}&signature=${sig}`)).status, 200);
  });

  it('a form that is missing a field, broken, too large or not urlencoded is refused', async () => {
    assert.equal((await post(url(POD_A, 'pod/hmac/sign'), form({ other: 'x' }))).status, 400);
    assert.equal((await post(url(POD_A, 'pod/hmac/verify'), form({ content: 'x', uuid: POD_A }))).status, 400);
    assert.equal((await post(url(POD_A, 'pod/hmac/sign'), 'content=%zz')).status, 400);
    assert.equal((await post(url(POD_A, 'pod/hmac/sign'), '{"content":"x"}', 'application/json')).status, 415);
    assert.equal((await post(url(POD_A, 'pod/hmac/sign'), `content=${'x'.repeat(MAX_FORM_BYTES)}`)).status, 413);
  });
});
