// appc's ACE validator (ace/ of github.com/appc/spec, the spec's executor
// conformance test), built from Debian's packages by
// test/ace-validator/build-aci, run as the spec intends: one pod of the
// main image (pre-start and post-stop handlers, working directory,
// environment, a volume, the metadata service) and the sidekick image,
// sharing the volume `database`. Each of its four checks prints
// "<check> OK" on stdout, or "<check> FAIL" and "==> <error>" lines on
// stderr and exits 1. Its metadata client gives each request 100 ms; on
// this loaded CI machine (2 cores, load 8 to 15) about 1 run in 5 lost a
// request to that alone, so the test builds it with 5 s (build-aci
// --metadata-timeout): what it checks is unchanged.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCommand } from '../support/command.js';
import { CHECKOUT, useHost } from '../support/host.js';
import { IN_HOST, onMachine, podStatusJson, sprocket, sprocketOk } from '../support/pods.js';

const BUILD_SCRIPT = path.join(CHECKOUT, 'test/ace-validator/build-aci');
const MAIN = 'coreos.com/ace-validator-main';
const SIDEKICK = 'coreos.com/ace-validator-sidekick';

describe("appc's ACE validator", () => {
  const host = useHost('e2e-ace');

  it('passes its four checks (prestart, main, sidekick, poststop) in a sprocket pod', async () => {
    const dir = `${IN_HOST}/ace`;
    // A cold Go build takes about 30 s on a loaded machine; timeout(1) bounds it.
    const build = await runCommand('timeout', ['600', BUILD_SCRIPT, '--metadata-timeout=5000', onMachine(host(), dir)]);
    assert.equal(build.code, 0, `build-aci failed:\n${build.stderr}${build.stdout}`);
    for (const image of ['main', 'sidekick']) {
      await sprocketOk(host(), ['fetch', '--insecure-options=image', `${dir}/ace-validator-${image}.aci`]);
    }

    const uuid = (await sprocketOk(host(), ['prepare', '--volume', 'database,kind=empty', MAIN, SIDEKICK])).trim();
    const run = await sprocket(host(), ['run-prepared', uuid]);
    const report = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
    assert.doesNotMatch(run.stderr, /==>/, `a check failed:\n${report}`);
    assert.deepEqual(run.stdout.trim().split('\n').sort(), [
      'ace-validator-main: main OK',
      'ace-validator-main: poststop OK',
      'ace-validator-main: prestart OK',
      'ace-validator-sidekick: sidekick OK',
    ], report);
    assert.equal(run.code, 0, report);

    const status = await podStatusJson(host(), uuid);
    assert.deepEqual(status.apps.map((a) => [a.name, a.state, a.exitStatus]).sort(), [
      ['ace-validator-main', 'exited', 0],
      ['ace-validator-sidekick', 'exited', 0],
    ]);
    // Each app left its mark in the shared volume (the validator waits for the other's).
    for (const mark of ['main', 'sidekick']) await access(onMachine(host(), `${IN_HOST}/pods/${uuid}/volumes/database/${mark}`));
  });
});
