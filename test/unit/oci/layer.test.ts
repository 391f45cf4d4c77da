// One OCI layer tar to its layer image (src/image/oci/layer.ts): hostile
// names and PAX global headers are refused by the layer's own reader, with
// the layer named, before the store reads the layer image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SprocketError } from '../../../src/errors.js';
import { readAci } from '../../../src/image/aci-reader.js';
import { imageLimits } from '../../../src/image/limits.js';
import { convertLayer } from '../../../src/image/oci/layer.js';
import { craftTar, paxRecord, tempDir, withTypeflag, type Entry } from '../image/craft.js';

const SOURCE = 'registry.example/app: sha256:1234';

/** Converts the layer tar `bytes` (its DiffID computed) into dir/out.aci. */
async function convert(dir: string, bytes: Buffer): Promise<string> {
  const blob = path.join(dir, 'layer.tar');
  await fs.writeFile(blob, bytes);
  const out = path.join(dir, 'out.aci');
  const diffId = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await pipeline(convertLayer({ blob: createReadStream(blob), mediaType: 'application/vnd.oci.image.layer.v1.tar', diffId, source: SOURCE, limits: imageLimits() }), createWriteStream(out));
  return out;
}

const refused = async (entries: Entry[] | Buffer, re: RegExp) => {
  const dir = await tempDir('sprocket-layer-');
  const bytes = Buffer.isBuffer(entries) ? entries : await craftTar(entries);
  await assert.rejects(convert(dir, bytes), (e: unknown) => e instanceof SprocketError && e.exitCode === 254 && e.file === SOURCE && re.test(e.describe()));
  await fs.rm(dir, { recursive: true });
};

test('a layer converts to an ACI that the store reads: files under rootfs/, whiteouts in the manifest, a leading / dropped', async () => {
  const dir = await tempDir('sprocket-layer-');
  const out = await convert(dir, await craftTar([
    { name: '/etc', type: 'directory', mode: 0o755 }, { name: 'etc/hosts', body: 'x' }, { name: 'etc/.wh.passwd' },
    { name: 'etc/h', type: 'link', linkname: '/etc/hosts' },
  ]));
  const { manifest } = await readAci(out);
  assert.deepEqual(manifest.annotations?.find((a) => a.name === 'oci-whiteouts')?.value, '["etc/passwd"]');
  await fs.rm(dir, { recursive: true });
});

test('a layer entry name or hard link target holding a line break or ".." is refused, naming the layer and the entry', async () => {
  await refused([{ name: 'etc/a\nb', body: 'x' }], /^registry\.example\/app: sha256:1234: entry "etc\/a\\nb": path contains a line break$/);
  await refused([{ name: 'etc/../../x', body: 'x' }], /entry "etc\/\.\.\/\.\.\/x": path contains "\.\."/);
  await refused([{ name: 'a', body: 'x' }, { name: 'h', type: 'link', linkname: '../a' }], /entry "h": link target: path contains "\.\."/);
});

test('a layer whose PAX global header sets path is refused', async () => {
  const bytes = withTypeflag(await craftTar([{ name: 'pax_global_header', body: paxRecord('path', 'elsewhere') }, { name: 'a', body: 'x' }]), 0, 'g');
  await refused(bytes, /a PAX global header sets path: tar readers disagree/);
});
