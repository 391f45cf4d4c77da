// /usr/bin/sprocket of the Debian package (packaging/sprocket.sh): refuses a
// Node.js older than 20 with a clear message, else execs node with the app's
// entry point and the arguments unchanged. A fake node stands in for the real one.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../../support/command.js';
import { CHECKOUT } from '../../support/host.js';

const LAUNCHER = path.join(CHECKOUT, 'packaging/sprocket.sh');

describe('packaging: the sprocket launcher', () => {
  let dir = '';
  const fakeNode = async (version: string) => {
    const file = path.join(dir, `node-${version}`);
    await writeFile(file, `#!/bin/sh\nif [ "$1" = --version ]; then echo ${version}; exit 0; fi\nprintf '%s\\n' "$@"\n`);
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
    assert.deepEqual(r, { code: 0, stdout: '/usr/lib/sprocket/app/dist/src/cli/main.js\nrun\n--name\na b\n$HOME\n', stderr: '' });
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
});
