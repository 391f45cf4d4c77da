// Crafts ACIs byte by byte for the image tests, hostile ones included:
// tar-stream writes whatever names and link targets it is given.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';

export type Entry = Partial<tar.Header> & { name: string; body?: string | Buffer; pax?: Record<string, string> };

export const manifestJson = (name = 'example.com/test', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ acKind: 'ImageManifest', acVersion: '0.8.11', name, ...extra });

export async function craftTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const { body, ...header } of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ mode: 0o644, ...header }, body ?? Buffer.alloc(0), (e) => (e ? reject(e) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** An ACI with a manifest, rootfs/ and the given entries under it. */
export const craftAci = (entries: Entry[], manifest = manifestJson()) =>
  craftTar([{ name: 'manifest', body: manifest }, { name: 'rootfs', type: 'directory', mode: 0o755 }, ...entries]);

export async function tempDir(prefix = 'sprocket-image-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Files and directories below dir, as relative paths (for "nothing left behind" checks). */
export async function treeOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  return out.sort();
}

/** The tar with the typeflag of the header at `offset` changed to `flag` (types tar-stream does not write, like g), its checksum redone. */
export function withTypeflag(tarBytes: Buffer, offset: number, flag: string): Buffer {
  const out = Buffer.from(tarBytes);
  const header = out.subarray(offset, offset + 512);
  header.write(flag, 156, 'latin1');
  header.fill(' ', 148, 156);
  const sum = header.reduce((a, b) => a + b, 0);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return out;
}

/** One PAX record, "LEN key=value\n", LEN counting itself. */
export function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let len = rest.length;
  while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
  return `${len}${rest}`;
}
