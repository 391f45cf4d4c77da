// kill -9 at every named step (SPROCKET_TEST_KILL_AT, docs/testing.md) of
// prepare, run, stop, rm, gc and image import loses nothing: status explains
// every pod; gc and image gc then leave no pod directory, mount, unit,
// held lock, registration, reference or half-written store entry; every
// image in the store still verifies.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { useHost } from '../support/host.js';
import { leftovers } from '../support/leftovers.js';
import { busyboxImage, IN_HOST, onMachine, sprocket, sprocketOk } from '../support/pods.js';

const IMAGE = 'example.com/idle';
const SECOND = 'example.com/second';
const SLEEP = ['--exec', '/bin/sleep', '--', '600'];

describe('kill -9 at any step', () => {
  const host = useHost('e2e-kill-steps');
  /** Runs sprocket ARGS with the hook set; the command must die at STEP (not finish). */
  const killedAt = async (step: string, args: string[]) => {
    const r = await sprocket(host(), args, { env: { SPROCKET_TEST_KILL_AT: step } });
    assert.notEqual(r.code, 0, `sprocket ${args.join(' ')} was not killed at ${step}:\n${r.stdout}${r.stderr}`);
  };
  const ls = (inHost: string) => readdir(onMachine(host(), inHost)).catch(() => [] as string[]);

  before(async () => {
    await busyboxImage(host(), IMAGE);
    await busyboxImage(host(), SECOND);
    await sprocketOk(host(), ['image', 'rm', SECOND]); // its ACI stays, for the imports below
  });

  it('prepare, run, stop, rm, gc and image import killed at each step leave pods that status explains, and gc leaves nothing behind', async () => {
    for (const step of ['prepare:named', 'prepare:registered', 'prepare:stage1-written', 'prepare:images-held', 'prepare:state-written', 'prepare:renamed']) {
      await killedAt(step, ['prepare', IMAGE, ...SLEEP]);
    }
    for (const step of ['run:recorded', 'run:network-up', 'run:started']) await killedAt(step, ['run', '-d', IMAGE, ...SLEEP]);
    await killedAt('stop:requested', ['stop', (await sprocketOk(host(), ['run', '-d', IMAGE, ...SLEEP])).trim()]);
    for (const step of ['rm:marked', 'rm:unregistered', 'rm:released', 'rm:hidden']) {
      await killedAt(step, ['rm', (await sprocketOk(host(), ['prepare', IMAGE, ...SLEEP])).trim()]);
    }
    await sprocketOk(host(), ['run', IMAGE, '--exec', '/bin/true']);
    await killedAt('gc:marked', ['gc', '--mark-only']); // --mark-only: no pod is removed before the kill, whatever their order
    const aci = path.join(IN_HOST, 'layouts', `${SECOND.replaceAll('/', '_')}.aci`);
    for (const step of ['import:rendered', 'import:blob-stored']) await killedAt(step, ['image', 'import', aci]);
    await sprocketOk(host(), ['image', 'gc', '--grace-period=24h']); // the blob the last kill left without an image
    await sprocketOk(host(), ['image', 'import', aci]);

    // Every pod is explained: list and status read each one and name a state.
    const pods = JSON.parse(await sprocketOk(host(), ['list', '--format', 'json'])) as { uuid: string; state: string }[];
    // prepare:renamed, run:recorded, run:network-up, run:started, stop:requested, rm:marked/unregistered/released and the run of /bin/true.
    assert.equal(pods.length, 9, JSON.stringify(pods.map((p) => p.state)));
    const left = await ls(`${IN_HOST}/pods`);
    assert.equal(left.filter((n) => n.startsWith('.new-')).length, 5, `the prepares killed before the rename: ${left}`);
    assert.equal(left.filter((n) => n.startsWith('.rm-')).length, 1, `the rm killed while deleting: ${left}`);
    for (const p of pods) {
      assert.ok(['prepared', 'running', 'exited', 'garbage'].includes(p.state), JSON.stringify(p));
      assert.match(await sprocketOk(host(), ['status', p.uuid]), new RegExp(`^state=${p.state}$`, 'm'));
    }
    const running = pods.filter((p) => p.state === 'running').map((p) => p.uuid);
    assert.ok(running.length >= 1, 'run:started leaves a running pod');
    await sprocketOk(host(), ['stop', '--force', ...running]);
    await sprocketOk(host(), ['gc', '--grace-period=0s', '--expire-prepared=0s']);
    await sprocketOk(host(), ['image', 'gc', '--grace-period=24h']);

    assert.deepEqual(await leftovers({ dir: onMachine(host(), IN_HOST), inHost: IN_HOST, run: (argv) => host().run(argv) }), []);
    const ids = (await ls(`${IN_HOST}/images`)).filter((n) => n.startsWith('sha512-'));
    assert.equal(ids.length, 2, 'both images are in the store: the interrupted imports did not stop the next one');
    assert.equal((await sprocketOk(host(), ['image', 'verify'])).split('\n').filter(Boolean).length, 2);
  });
});
