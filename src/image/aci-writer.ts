// Writes an ACI: a tar (gzip-compressed unless asked not to) that appears at
// its final name only when complete.
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { SprocketError } from '../errors.js';

export interface AciWriteOptions {
  overwrite?: boolean;
  compress?: boolean;
}

export type TarHeader = Partial<tar.Header> & { name: string; pax?: Record<string, string> };

export async function writeAci(out: string, opts: AciWriteOptions, fill: (pack: tar.Pack) => Promise<void>): Promise<void> {
  if (!opts.overwrite && (await fs.lstat(out).then(() => true, () => false))) {
    throw new SprocketError('conflict', 'file exists', { file: out, hint: 'use --overwrite to replace it' });
  }
  const tmp = `${out}.${process.pid}.tmp`;
  const pack = tar.pack();
  const stages = [pack as unknown as Readable, ...(opts.compress === false ? [] : [createGzip()]), createWriteStream(tmp, { mode: 0o644 })];
  const written = (pipeline as (...s: unknown[]) => Promise<void>)(...stages);
  try {
    const filled = fill(pack).then(() => pack.finalize());
    await Promise.all([filled, written]);
    await fs.rename(tmp, out);
  } catch (e) {
    pack.destroy();
    await written.catch(() => {});
    await fs.rm(tmp, { force: true });
    if (e instanceof SprocketError) throw e;
    throw new SprocketError('io', `cannot write the ACI: ${(e as Error).message}`, { file: out });
  }
}

/** Adds one entry; `data` is streamed with back-pressure. */
export async function addEntry(pack: tar.Pack, header: TarHeader, data?: AsyncIterable<Buffer> | Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    const whole = data === undefined || Buffer.isBuffer(data);
    const sink = whole ? pack.entry(header, data ?? Buffer.alloc(0), cb) : pack.entry(header, cb);
    // A pack destroyed with an error (a converted layer that failed) fails its entry: that reaches us through cb, not again as an unhandled event.
    sink.on('error', () => {});
    if (whole) return;
    (async () => {
      for await (const chunk of data) {
        if (!sink.write(chunk)) await new Promise<void>((r) => sink.once('drain', () => r()));
      }
      sink.end(undefined as never);
    })().catch(reject);
  });
}
