// The metadata service seen from inside a pod in a test host (issue 4,
// "Done when", metadata part): a busybox app checks every endpoint with
// busybox wget and leaves bodies and response headers in a host volume.
// Registration is done here by hand (registerPod) until pod prepare calls it
// and sets AC_METADATA_URL; the app reads the URL from the volume.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { CHECKOUT, useHost } from '../support/host.js';
import { busyboxImage, CLI, IN_HOST, onMachine, sprocket, sprocketOk } from '../support/pods.js';

const IMAGE = 'example.com/mds';
const TEXT = 'text/plain; charset=us-ascii';
const JSON_TYPE = 'application/json';
const ANNOTATIONS = [{ name: 'a', value: 'image' }];

// Inside the app: $U is AC_METADATA_URL; every answer is saved as NAME.body
// and its headers as NAME.headers.
const SCRIPT = `
U=$(cat /v/url); M=$U/acMetadata/v1
get() { busybox wget -S -q -O /v/$1.body "$2" 2>/v/$1.headers; echo $? >/v/$1.rc; }
post() { busybox wget -S -q -O /v/$1.body --post-data "$3" "$2" 2>/v/$1.headers; echo $? >/v/$1.rc; }
get uuid $M/pod/uuid
get manifest $M/pod/manifest
get annotations $M/pod/annotations
get app-annotations $M/apps/checker/annotations
get image-manifest $M/apps/checker/image/manifest
get image-id $M/apps/checker/image/id
post sign $M/pod/hmac/sign 'content=hello%20pod'
sig=$(cat /v/sign.body | sed 's/+/%2B/g;s/\\//%2F/g;s/=/%3D/g')
post verify $M/pod/hmac/verify "content=hello%20pod&uuid=$(cat /v/uuid.body)&signature=$sig"
post verify-bad $M/pod/hmac/verify "content=other&uuid=$(cat /v/uuid.body)&signature=$sig"
get foreign "http://127.0.0.1:2375/$(cat /v/foreign-token)/acMetadata/v1/pod/uuid"
get none "http://127.0.0.1:2375/acMetadata/v1/pod/uuid"
`;

describe('metadata service from inside a pod', () => {
  const host = useHost('e2e-metadata');
  const vol = () => onMachine(host(), `${IN_HOST}/mds-volume`);
  const saved = (name: string) => readFile(path.join(vol(), name), 'utf8');
  const contentType = async (name: string) => /Content-Type: ([^\r\n]*)/i.exec(await saved(`${name}.headers`))?.[1];
  const node = (script: string) => host().exec(['node', '--input-type=module', '-e', script]);

  before(async () => {
    await busyboxImage(host(), IMAGE, { annotations: ANNOTATIONS });
    await mkdir(vol(), { recursive: true });
  });

  it('answers every endpoint with its Content-Type and body, signs and verifies, refuses foreign tokens', async () => {
    // No socket unit is installed in the test host: this starts the transient service.
    const ensure = await node(`
      import { connectSystemd } from '${CHECKOUT}/dist/src/systemd/manager.js';
      import { ensureMetadataService } from '${CHECKOUT}/dist/src/metadata/ensure.js';
      const systemd = await connectSystemd();
      console.log(await ensureMetadataService(systemd, { stateDir: '${IN_HOST}', command: [process.execPath, '${CLI}'] }));
      systemd.close();`);
    assert.equal(ensure.code, 0, ensure.stderr);
    assert.equal(ensure.stdout.trim(), 'service');

    const uuid = (await sprocketOk(host(), [
      'prepare', '--volume', `v,kind=host,source=${IN_HOST}/mds-volume`,
      IMAGE, '--name', 'checker', '--user', '0', '--group', '0', '--mount', 'volume=v,target=/v', '--exec', '/bin/sh', '--', '-c', SCRIPT,
    ])).trim();
    const register = (pod: string) => node(`
      import { registerPod } from '${CHECKOUT}/dist/src/metadata/register.js';
      console.log((await registerPod('${IN_HOST}', '${pod}')).url);`);
    const url = (await register(uuid)).stdout.trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:2375\/[A-Za-z0-9_-]{43}$/);
    await writeFile(path.join(vol(), 'url'), url);
    // The token of another pod that is no longer registered.
    const other = (await sprocketOk(host(), ['prepare', IMAGE])).trim();
    const otherUrl = (await register(other)).stdout.trim();
    const unregistered = await node(`
      import { unregisterPod } from '${CHECKOUT}/dist/src/metadata/register.js';
      await unregisterPod('${IN_HOST}', '${other}');`);
    assert.equal(unregistered.code, 0, unregistered.stderr);
    await writeFile(path.join(vol(), 'foreign-token'), otherUrl.split('/').pop()!);

    const run = await sprocket(host(), ['run-prepared', uuid]);
    assert.equal(run.code, 0, run.stderr);

    assert.equal(await saved('uuid.body'), uuid);
    assert.equal(await contentType('uuid'), TEXT);
    assert.equal(await saved('manifest.body'), await readFile(onMachine(host(), `${IN_HOST}/pods/${uuid}/pod`), 'utf8'));
    assert.equal(await contentType('manifest'), JSON_TYPE);
    assert.equal(await contentType('annotations'), JSON_TYPE);
    assert.deepEqual(JSON.parse(await saved('annotations.body')), []);
    assert.deepEqual(JSON.parse(await saved('app-annotations.body')), ANNOTATIONS);
    assert.equal(await contentType('app-annotations'), JSON_TYPE);
    assert.equal((JSON.parse(await saved('image-manifest.body')) as { name: string }).name, IMAGE);
    assert.equal(await contentType('image-manifest'), JSON_TYPE);
    const reified = JSON.parse(await saved('manifest.body')) as { apps: { image: { id: string } }[] };
    assert.equal(await saved('image-id.body'), reified.apps[0]!.image.id);
    assert.equal(await contentType('image-id'), TEXT);
    assert.match(await saved('sign.body'), /^[A-Za-z0-9+/]{86}==$/);
    assert.equal(await contentType('sign'), TEXT);
    assert.equal(await saved('verify.rc'), '0\n');
    assert.match(await saved('verify-bad.headers'), /HTTP\/1\.1 403/);
    assert.match(await saved('foreign.headers'), /HTTP\/1\.1 403/);
    assert.match(await saved('none.headers'), /HTTP\/1\.1 403/);
  });
});
