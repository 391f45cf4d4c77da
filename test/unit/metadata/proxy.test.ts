import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { METADATA_PROXY_SERVICE, METADATA_PROXY_SOCKET, METADATA_PROXY_UNITS, metadataProxyNspawnArgs, needsMetadataProxy } from '../../../stage1-nspawn/metadata-proxy.js';
import { parsePodPlan, type PodPlan } from '../../../stage1-nspawn/plan.js';
import { nspawnArgv } from '../../../stage1-nspawn/nspawn-args.js';
import { renderAppUnit } from '../../../stage1-nspawn/app-unit.js';
import { writeStage1Root } from '../../../stage1-nspawn/stage1-root.js';

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

describe('metadata proxy wired into stage1', () => {
  const inDir = (dir: string, network: 'host' | 'none') => parsePodPlan({ ...plan(network, [url]), podDir: dir, stage1Root: path.join(dir, 'stage1') });

  it('a registered private-network pod: nspawn binds /run/sprocket, default.target wants the socket, apps start after it', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'proxy-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const p = inDir(dir, 'none');
    assert.ok(nspawnArgv(p).includes('--bind-ro=/run/sprocket'));
    assert.match(renderAppUnit(p, p.apps[0]!), new RegExp(`^After=${METADATA_PROXY_SOCKET}$`, 'm'));
    await writeStage1Root(p);
    const units = path.join(p.stage1Root, 'etc/systemd/system');
    assert.match(await readFile(path.join(units, 'default.target'), 'utf8'), new RegExp(`^Wants=.* ${METADATA_PROXY_SOCKET}$`, 'm'));
    assert.equal(await readFile(path.join(units, METADATA_PROXY_SERVICE), 'utf8'), METADATA_PROXY_UNITS[METADATA_PROXY_SERVICE]);
    assert.equal(await readFile(path.join(units, METADATA_PROXY_SOCKET), 'utf8'), METADATA_PROXY_UNITS[METADATA_PROXY_SOCKET]);

    // Written again for the host network (same directory): the units go.
    const host = inDir(dir, 'host');
    await writeStage1Root(host);
    await assert.rejects(readFile(path.join(units, METADATA_PROXY_SOCKET)));
    assert.ok(!nspawnArgv(host).includes('--bind-ro=/run/sprocket'));
    assert.doesNotMatch(renderAppUnit(host, host.apps[0]!), /metadata-proxy/);
  });
});
