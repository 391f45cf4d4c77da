import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lockFile } from '../../../src/pod/lock.js';

const tmp = () => fs.mkdtemp(path.join(os.tmpdir(), 'sprocket-lock-'));

test('a held lock is refused without waiting, and free again after release', async () => {
  const file = path.join(await tmp(), 'lock');
  const a = await lockFile(file, { wait: true });
  assert.ok(a);
  assert.equal(await lockFile(file, { wait: false }), undefined);
  await a.release();
  const b = await lockFile(file, { wait: false });
  assert.ok(b);
  await b.release();
});

test('the lock of a process killed with SIGKILL is free', async () => {
  const file = path.join(await tmp(), 'lock');
  const lockModule = new URL('../../../src/pod/lock.js', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e',
    `const { lockFile } = await import(${JSON.stringify(lockModule)}); await lockFile(${JSON.stringify(file)}, { wait: true }); console.log('locked'); setInterval(() => {}, 1000);`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  assert.equal(await lockFile(file, { wait: false }), undefined);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('close', resolve));
  const l = await lockFile(file, { wait: false });
  assert.ok(l);
  await l.release();
});

test('a waiting lock is granted once the holder releases it, not before', async () => {
  const file = path.join(await tmp(), 'lock');
  const a = (await lockFile(file, { wait: true }))!;
  let granted = false;
  const waiting = lockFile(file, { wait: true }).then((l) => {
    granted = true;
    return l;
  });
  await fs.writeFile(`${file}.other`, 'x');
  assert.equal(granted, false);
  await a.release();
  const b = await waiting;
  assert.ok(b);
  assert.equal(await lockFile(file, { wait: false }), undefined);
  await b.release();
});

test('shared locks coexist, and keep an exclusive one out', async () => {
  const file = path.join(await tmp(), 'lock');
  const a = (await lockFile(file, { wait: false, shared: true }))!;
  const b = await lockFile(file, { wait: false, shared: true });
  assert.ok(b);
  assert.equal(await lockFile(file, { wait: false }), undefined);
  await a.release();
  await b.release();
  const c = await lockFile(file, { wait: false });
  assert.ok(c);
  await c.release();
});

test('a lock released twice closes its own descriptor only', async () => {
  const dir = await tmp();
  const a = (await lockFile(path.join(dir, 'lock'), { wait: false }))!;
  await a.release();
  const other = openSync(path.join(dir, 'other'), 'w'); // may take the number the lock had
  await a.release();
  assert.doesNotThrow(() => fstatSync(other));
  closeSync(other);
});

test('waits hold no thread of libuv\'s pool: file calls go on while more locks are waited for than it has threads', { timeout: 10_000 }, async () => {
  const dir = await tmp();
  const files = Array.from({ length: 6 }, (_, i) => path.join(dir, `lock${i}`));
  const held = await Promise.all(files.map((f) => lockFile(f, { wait: false })));
  const waits = files.map((f) => lockFile(f, { wait: true }));
  // The pool has four threads: with one blocked per wait, this write would never end.
  await fs.writeFile(path.join(dir, 'other'), 'x');
  for (const h of held) await h!.release();
  for (const l of await Promise.all(waits)) await l!.release();
});
