// /usr/bin/sprocket of the Debian package (packaging/sprocket.sh): refuses a
// Node.js older than 20 with a clear message, else execs node with the app's
// entry point and the arguments unchanged; from the start-up snapshot that
// packaging/make-snapshot made for that very node without starting another
// process, else after asking node its version. A fake node stands in for
// the real one: it prints its arguments, logs each call, and "builds" a
// snapshot by writing the blob.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../../support/command.js';
import { CHECKOUT } from '../../support/host.js';

const LAUNCHER = path.join(CHECKOUT, 'packaging/sprocket.sh');
const MAKE_SNAPSHOT = path.join(CHECKOUT, 'packaging/make-snapshot');
const ENTRY = '/usr/lib/sprocket/app/dist/src/cli/main.js';

describe('packaging: the sprocket launcher', () => {
  let dir = '';
  const log = () => path.join(dir, 'calls');
  const fakeNode = async (version: string, file = path.join(dir, `node-${version}`)) => {
    await writeFile(file, `#!/bin/sh
echo "$*" >>${log()}
case $1 in
  --version) echo ${version}; exit 0 ;;
  --no-warnings) echo blob >"$3"; exit 0 ;;
esac
printf '%s\\n' "$@"
`);
    await chmod(file, 0o755);
    return file;
  };
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sprocket-launcher-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('execs node with the entry point and every argument as given', async () => {
    const r = await runCommand(LAUNCHER, ['run', '--name', 'a b', '$HOME'], { env: { SPROCKET_NODE: await fakeNode('v20.1.0') } });
    assert.deepEqual(r, { code: 0, stdout: `${ENTRY}\nrun\n--name\na b\n$HOME\n`, stderr: '' });
  });

  it('refuses Node.js 18 with exit status 254, naming the version found', async () => {
    const node = await fakeNode('v18.19.0');
    const r = await runCommand(LAUNCHER, ['--version'], { env: { SPROCKET_NODE: node } });
    assert.equal(r.code, 254);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `sprocket: Node.js 20 or later is needed, found ${node}: v18.19.0 (set SPROCKET_NODE to its path, see /usr/share/doc/sprocket/install.md)\n`);
  });

  it('says so when there is no node at all', async () => {
    const r = await runCommand(LAUNCHER, ['--version'], { env: { SPROCKET_NODE: path.join(dir, 'missing') } });
    assert.equal(r.code, 254);
    assert.match(r.stderr, /Node\.js 20 or later is needed, found .*missing: none/);
  });

  describe('with a start-up snapshot', () => {
    const snapshots = () => path.join(dir, 'cache');
    const bin = () => path.join(dir, 'bin');
    const node = () => path.join(bin(), 'node');
    const blob = () => path.join(snapshots(), 'sprocket-v20.1.0.blob');
    /** The launcher with its snapshot directory here instead of /var/cache/sprocket. */
    let launcher = '';
    const run = async (args: string[], nodeOptions = '') => {
      await rm(log(), { force: true });
      const r = await runCommand(launcher, args, { env: { PATH: `${path.join(dir, 'empty')}:${bin()}:/usr/bin:/bin`, SPROCKET_NODE: '', NODE_OPTIONS: nodeOptions } });
      assert.equal(r.code, 0, r.stderr);
      return { argv: r.stdout.split('\n').slice(0, -1), askedVersion: (await readFile(log(), 'utf8')).split('\n').includes('--version') };
    };
    before(async () => {
      launcher = path.join(dir, 'sprocket');
      await writeFile(launcher, (await readFile(LAUNCHER, 'utf8')).replace('snapshots=/var/cache/sprocket', `snapshots=${snapshots()}`), { mode: 0o755 });
      await mkdir(bin());
      await mkdir(path.join(dir, 'empty'));
      await fakeNode('v20.1.0', node());
      const made = await runCommand(MAKE_SNAPSHOT, ['/app/dist/snapshot/sprocket.cjs', snapshots()], { env: { PATH: `${bin()}:/usr/bin:/bin`, SPROCKET_NODE: '' } });
      assert.equal(made.code, 0, made.stderr);
      assert.equal(await readFile(blob(), 'utf8'), 'blob\n');
    });

    it('starts node from $PATH from the snapshot it made, without asking its version', async () => {
      assert.deepEqual(await run(['list', 'a b']), { argv: ['--snapshot-blob', blob(), '--', ENTRY, 'list', 'a b'], askedVersion: false });
    });

    it('runs the bundle when NODE_OPTIONS is set: a V8 flag there would make node refuse the blob (exit 14)', async () => {
      assert.deepEqual(await run(['list'], '--max-old-space-size=4096'), { argv: [ENTRY, 'list'], askedVersion: true });
    });

    it('asks a node replaced since (another modification time) its version: the blob of that version, else the bundle', async () => {
      await utimes(node(), new Date(), new Date(Date.now() + 5000));
      assert.deepEqual(await run(['list']), { argv: ['--snapshot-blob', blob(), '--', ENTRY, 'list'], askedVersion: true });
      await fakeNode('v20.2.0', node());
      assert.deepEqual(await run(['list']), { argv: [ENTRY, 'list'], askedVersion: true });
    });
  });
});
