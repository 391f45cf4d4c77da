// --pull-policy for the images of a pod: never looks in the store only, and
// never asks the network for a name or a docker reference the store lacks.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ImageStore } from '../../../src/image/store.js';
import { storeImages } from '../../../src/pod/images.js';
import { SprocketError } from '../../../src/errors.js';
import { tempDir } from '../image/craft.js';

const dir = await tempDir('sprocket-pull-');
after(() => fs.rm(dir, { recursive: true, force: true }));

test('never: a name or docker reference the store lacks is an error, nothing is fetched', async () => {
  const store = await ImageStore.open(path.join(dir, 'state'));
  const images = storeImages(store, {
    stateDir: path.join(dir, 'state'), config: { localConfig: path.join(dir, 'etc'), systemConfig: path.join(dir, 'lib') },
    insecure: { http: false, image: true, tls: false }, pullPolicy: 'never', warn: () => {},
  });
  await assert.rejects(images.resolve('example.com/missing:1.0'), (e: SprocketError) => e.kind === 'not-found' && /example\.com\/missing/.test(e.message));
  await assert.rejects(images.resolve('docker://127.0.0.1:9/org/app:v1'), (e: SprocketError) => e.kind === 'not-found' && /127\.0\.0\.1:9\/org\/app:v1/.test(e.message));
  await assert.rejects(images.resolve('https://127.0.0.1:9/app.aci'), (e: SprocketError) => e.kind === 'not-found');
});
