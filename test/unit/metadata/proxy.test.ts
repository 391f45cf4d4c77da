import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METADATA_PROXY_SERVICE, METADATA_PROXY_SOCKET, METADATA_PROXY_UNITS, metadataProxyNspawnArgs, needsMetadataProxy } from '../../../stage1-nspawn/metadata-proxy.js';
import { parsePodPlan, type PodPlan } from '../../../stage1-nspawn/plan.js';

const uuid = '0a0a0a0a-0000-4000-8000-00000000000a';
const plan = (network: 'host' | 'none', env: { name: string; value: string }[]): PodPlan =>
  parsePodPlan({
    uuid,
    machine: `sprocket-${uuid}`,
    unit: `sprocket-${uuid}.service`,
    podDir: `/var/lib/sprocket/pods/${uuid}`,
    stage1Root: `/var/lib/sprocket/pods/${uuid}/stage1`,
    network,
    apps: [{ name: 'a', imageId: 'sha512-x', tree: '/t', exec: ['/bin/true'], uid: 0, gid: 0, environment: env }],
  });
const url = { name: 'AC_METADATA_URL', value: 'http://127.0.0.1:2375/token' };

describe('metadata proxy of private-network pods', () => {
  it('is needed only by a registered pod without the host network', () => {
    assert.equal(needsMetadataProxy(plan('none', [url])), true);
    assert.equal(needsMetadataProxy(plan('host', [url])), false);
    assert.equal(needsMetadataProxy(plan('none', [])), false);
  });

  it('listens where AC_METADATA_URL points and forwards to the bound host socket directory', () => {
    assert.match(METADATA_PROXY_UNITS[METADATA_PROXY_SOCKET]!, /^ListenStream=127\.0\.0\.1:2375$/m);
    assert.match(METADATA_PROXY_UNITS[METADATA_PROXY_SERVICE]!, /^ExecStart=\/usr\/lib\/systemd\/systemd-socket-proxyd \/run\/sprocket\/metadata\.sock$/m);
    assert.match(METADATA_PROXY_UNITS[METADATA_PROXY_SERVICE]!, new RegExp(`^Requires=${METADATA_PROXY_SOCKET}$`, 'm'));
    assert.deepEqual(metadataProxyNspawnArgs(), ['--bind-ro=/run/sprocket']);
  });
});
