import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CHECKOUT } from '../support/host.js';

// A fresh clone passes scripts/check with nothing beside it: no file of the product,
// its tests, benchmarks, scripts or packaging names the team's notes beside the checkout.
const DIRS = ['src', 'stage1-nspawn', 'units', 'test', 'bench', 'scripts', 'packaging', 'docs'];
const FILES = ['Makefile', 'package.json', 'README.md'];
const OUTSIDE = [`..${'/'}shared`, `/work${'/'}shared`];

async function* walk(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

test('nothing in the checkout reads the notes beside it', async () => {
  const offenders: string[] = [];
  const files = FILES.map((f) => path.join(CHECKOUT, f));
  for (const d of DIRS) for await (const f of walk(path.join(CHECKOUT, d))) files.push(f);
  for (const f of files) {
    const text = await readFile(f, 'latin1');
    for (const s of OUTSIDE) if (text.includes(s)) offenders.push(`${path.relative(CHECKOUT, f)}: ${s}`);
  }
  assert.ok(files.length > 100, `walked ${files.length} files`);
  assert.deepEqual(offenders, []);
});
