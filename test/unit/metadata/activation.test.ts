// The service as a process: socket activation by systemd's own
// systemd-socket-activate, and --listen without it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registerPod } from '../../../src/metadata/register.js';
import { runSprocket, SPROCKET } from '../../support/cli.js';
import { POD_A, stateDir } from '../../support/metadata-state.js';

let dir: string;
let token: string;
before(async () => {
  dir = await stateDir();
  token = (await registerPod(dir, POD_A)).token;
});
after(() => fs.rm(dir, { recursive: true, force: true }));

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** GET of pod/uuid over TCP or a unix socket: [status, body]. */
function uuidOver(target: { port: number } | { socketPath: string }): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ ...target, host: '127.0.0.1', path: `/${token}/acMetadata/v1/pod/uuid`, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve([res.statusCode!, body]));
    });
    req.on('error', reject);
  });
}

/** Starts a child and collects its stderr; `stop` sends SIGTERM and gives the exit code. */
function start(file: string, args: string[]) {
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  return {
    stderr: () => stderr,
    async waitFor(text: string) {
      while (!stderr.includes(text)) await new Promise((r) => setTimeout(r, 20));
    },
    async stop() {
      child.kill('SIGTERM');
      return (await exited)[0];
    },
  };
}

describe('sprocket metadata-service', () => {
  it('serves the sockets systemd passes and ignores --listen then', async () => {
    const port = await freePort();
    const ignored = await freePort();
    const socketPath = path.join(dir, 'activated.sock');
    const child = start('systemd-socket-activate', ['-l', `127.0.0.1:${port}`, '-l', socketPath, '--', process.execPath, SPROCKET, '--dir', dir, 'metadata-service', '--listen', `127.0.0.1:${ignored}`]);
    try {
      // systemd-socket-activate listens at once and starts the service at the first connection.
      while (!(await fs.stat(socketPath).then(() => true, () => false))) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(await uuidOver({ port }), [200, POD_A]);
      assert.deepEqual(await uuidOver({ socketPath }), [200, POD_A]);
      await child.waitFor('listening on fd 3, fd 4');
      await assert.rejects(uuidOver({ port: ignored }), /ECONNREFUSED/);
    } finally {
      assert.equal(await child.stop(), 0, child.stderr());
    }
  });

  it('listens on --listen addresses, replacing a stale socket file, and ends cleanly on SIGTERM', async () => {
    const port = await freePort();
    const socketPath = path.join(dir, 'run', 'metadata.sock');
    await fs.mkdir(path.dirname(socketPath));
    // A service killed with SIGKILL leaves its socket file behind.
    const leftover = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await once(leftover, 'exit');
    assert.ok((await fs.lstat(socketPath)).isSocket());
    const child = start(process.execPath, [SPROCKET, '--dir', dir, 'metadata-service', '--listen', `127.0.0.1:${port}`, '--listen', socketPath]);
    try {
      await child.waitFor('listening on');
      assert.deepEqual(await uuidOver({ port }), [200, POD_A]);
      assert.deepEqual(await uuidOver({ socketPath }), [200, POD_A]);
    } finally {
      assert.equal(await child.stop(), 0, child.stderr());
    }
  });

  it('refuses a --listen path that is not a socket, and a malformed address', async () => {
    const file = path.join(dir, 'not-a-socket');
    await fs.writeFile(file, 'keep me');
    const r = await runSprocket(['--dir', dir, 'metadata-service', '--listen', file]);
    assert.equal(r.code, 254);
    assert.match(r.stderr, new RegExp(`${file}: exists and is not a socket`));
    assert.equal(await fs.readFile(file, 'utf8'), 'keep me');
    const bad = await runSprocket(['--dir', dir, 'metadata-service', '--listen', 'localhost']);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--listen: "localhost" is not HOST:PORT/);
  });
});
