// Checks of the metadata service from inside a pod, shared by the e2e tests
// (metadata, executor): a shell script for a busybox app that saves every
// answer in a volume mounted at /v, and the assertions on what it saved.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const TEXT = 'text/plain; charset=us-ascii';
const JSON_TYPE = 'application/json';

/** Shell functions of the checks: every answer saved as /v/NAME.body, its headers as NAME.headers, wget's status as NAME.rc. */
export const METADATA_CHECK_FUNCTIONS = `
M=$AC_METADATA_URL/acMetadata/v1
get() { busybox wget -S -q -O /v/$1.body "$2" 2>/v/$1.headers; echo $? >/v/$1.rc; }
post() { busybox wget -S -q -O /v/$1.body --post-data "$3" "$2" 2>/v/$1.headers; echo $? >/v/$1.rc; }
`;
/** Every endpoint of app $AC_APP_NAME, sign and verify, a foreign token (from /v/foreign-token) and none. */
export const METADATA_CHECKS = `${METADATA_CHECK_FUNCTIONS}
echo "$AC_METADATA_URL" >/v/url
get uuid $M/pod/uuid
get manifest $M/pod/manifest
get annotations $M/pod/annotations
get app-annotations $M/apps/$AC_APP_NAME/annotations
get image-manifest $M/apps/$AC_APP_NAME/image/manifest
get image-id $M/apps/$AC_APP_NAME/image/id
post sign $M/pod/hmac/sign 'content=hello%20pod'
sig=$(cat /v/sign.body | busybox sed 's/+/%2B/g;s/\\//%2F/g;s/=/%3D/g')
post verify $M/pod/hmac/verify "content=hello%20pod&uuid=$(cat /v/uuid.body)&signature=$sig"
post verify-bad $M/pod/hmac/verify "content=other&uuid=$(cat /v/uuid.body)&signature=$sig"
get foreign "http://127.0.0.1:2375/$(cat /v/foreign-token)/acMetadata/v1/pod/uuid"
get none "http://127.0.0.1:2375/acMetadata/v1/pod/uuid"
`;

/** What METADATA_CHECKS left in `dir` (on this machine), checked against the pod's own files. */
export async function assertMetadataChecks(dir: string, pod: { uuid: string; manifestFile: string; imageName: string; appAnnotations: unknown }) {
  const saved = (name: string) => readFile(path.join(dir, name), 'utf8');
  const contentType = async (name: string) => /Content-Type: ([^\r\n]*)/i.exec(await saved(`${name}.headers`))?.[1];
  assert.match(await saved('url'), /^http:\/\/127\.0\.0\.1:2375\/[A-Za-z0-9_-]{43}\n$/);
  assert.equal(await saved('uuid.body'), pod.uuid);
  assert.equal(await contentType('uuid'), TEXT);
  assert.equal(await saved('manifest.body'), await readFile(pod.manifestFile, 'utf8'));
  assert.equal(await contentType('manifest'), JSON_TYPE);
  assert.equal(await contentType('annotations'), JSON_TYPE);
  assert.deepEqual(JSON.parse(await saved('annotations.body')), []);
  assert.deepEqual(JSON.parse(await saved('app-annotations.body')), pod.appAnnotations);
  assert.equal(await contentType('app-annotations'), JSON_TYPE);
  assert.equal((JSON.parse(await saved('image-manifest.body')) as { name: string }).name, pod.imageName);
  assert.equal(await contentType('image-manifest'), JSON_TYPE);
  const reified = JSON.parse(await saved('manifest.body')) as { apps: { image: { id: string } }[] };
  assert.equal(await saved('image-id.body'), reified.apps[0]!.image.id);
  assert.equal(await contentType('image-id'), TEXT);
  assert.match(await saved('sign.body'), /^[A-Za-z0-9+/]{86}==$/);
  assert.equal(await contentType('sign'), TEXT);
  assert.equal(await saved('verify.rc'), '0\n');
  assert.match(await saved('verify.headers'), /HTTP\/1\.1 200/);
  assert.match(await saved('verify-bad.headers'), /HTTP\/1\.1 403/);
  assert.match(await saved('foreign.headers'), /HTTP\/1\.1 403/);
  assert.match(await saved('none.headers'), /HTTP\/1\.1 403/);
}

