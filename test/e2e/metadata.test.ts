// The metadata service seen from inside pods in a test host (issue 4, "Done
// when", metadata part), through the real flow: `sprocket run` registers the
// pod, sets AC_METADATA_URL and starts the service on demand; a busybox app
// checks every endpoint with busybox wget and leaves bodies and response
// headers in an empty volume. Once with the host's network, once with
// --net=none (the proxy inside the pod).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { useHost } from '../support/host.js';
import { assertMetadataChecks, METADATA_CHECK_FUNCTIONS, METADATA_CHECKS } from '../support/metadata-checks.js';
import { busyboxImage, IN_HOST, onMachine, sprocket, sprocketOk } from '../support/pods.js';

const IMAGE = 'example.com/mds';
const ANNOTATIONS = [{ name: 'a', value: 'image' }];

describe('metadata service from inside a pod', () => {
  const host = useHost('e2e-metadata');
  const podFile = (uuid: string, ...rel: string[]) => onMachine(host(), path.join(IN_HOST, 'pods', uuid, ...rel));

  /** The token of a pod that was registered and then removed (rm unregisters it). */
  const foreignToken = async () => {
    const other = (await sprocketOk(host(), ['prepare', IMAGE])).trim();
    const token = (await readFile(podFile(other, 'metadata', 'token'), 'utf8')).trim();
    await sprocketOk(host(), ['rm', other]);
    return token;
  };
  /** Prepares a pod of one checker app running `script` with an empty volume at /v. */
  const prepare = async (podFlags: string[], script: string) => (await sprocketOk(host(), [
    'prepare', ...podFlags, '--volume', 'v,kind=empty,mode=0777',
    IMAGE, '--name', 'checker', '--user', '0', '--group', '0', '--mount', 'volume=v,target=/v', '--exec', '/bin/sh', '--', '-c', script,
  ])).trim();

  before(async () => {
    await busyboxImage(host(), IMAGE, { annotations: ANNOTATIONS });
  });

  it('sprocket run registers the pod: every endpoint with its Content-Type and body, sign and verify, foreign tokens refused', async () => {
    const uuid = await prepare([], METADATA_CHECKS);
    await writeFile(podFile(uuid, 'volumes', 'v', 'foreign-token'), await foreignToken());
    // No socket unit is installed in the test host: the start runs the service on demand.
    const run = await sprocket(host(), ['run-prepared', uuid]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await host().run(['systemctl', 'is-active', 'sprocket-metadata.service'])).trim(), 'active');
    await assertMetadataChecks(podFile(uuid, 'volumes', 'v'), {
      uuid, manifestFile: podFile(uuid, 'pod'), imageName: IMAGE, appAnnotations: ANNOTATIONS,
    });
    await sprocketOk(host(), ['rm', uuid]);
  });

  it('works from a pod with a private network (--net=none) through the proxy in the pod', async () => {
    const script = `${METADATA_CHECK_FUNCTIONS}
get uuid $M/pod/uuid
post sign $M/pod/hmac/sign 'content=x'
busybox grep -o '^ *[a-z0-9]*:' /proc/net/dev >/v/interfaces`;
    const uuid = await prepare(['--net=none'], script);
    const run = await sprocket(host(), ['run-prepared', uuid]);
    assert.equal(run.code, 0, run.stderr);
    const saved = (name: string) => readFile(podFile(uuid, 'volumes', 'v', name), 'utf8');
    assert.equal(await saved('uuid.body'), uuid);
    assert.match(await saved('sign.body'), /^[A-Za-z0-9+/]{86}==$/);
    assert.equal(await saved('interfaces'), '    lo:\n', 'the pod has a network of its own, loopback only');
  });

  it('--mds-register=false: no AC_METADATA_URL', async () => {
    const uuid = await prepare(['--mds-register=false'], 'echo "[$AC_METADATA_URL]" >/v/url');
    const run = await sprocket(host(), ['run-prepared', uuid]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await readFile(podFile(uuid, 'volumes', 'v', 'url'), 'utf8'), '[]\n');
  });
});
