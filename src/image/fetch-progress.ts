// A one-line progress bar on stderr while a download runs, shown only when
// stderr is a terminal so that logs and pipes stay clean.
import { Transform } from 'node:stream';

const WIDTH = 30;
const EVERY_MS = 100;

const mib = (n: number) => (n / (1 << 20)).toFixed(1);

/** A pass-through stream that draws progress of `label` as bytes flow. */
export function progressStream(label: string, done: number, total: number | undefined, out: NodeJS.WriteStream = process.stderr): Transform {
  const show = Boolean(out.isTTY);
  let last = 0;
  const draw = (final: boolean) => {
    if (!show) return;
    const now = Date.now();
    if (!final && now - last < EVERY_MS) return;
    last = now;
    const line = total
      ? `[${'#'.repeat(Math.round((WIDTH * done) / total)).padEnd(WIDTH)}] ${mib(done)}/${mib(total)} MiB`
      : `${mib(done)} MiB`;
    out.write(`\r${label} ${line}\x1b[K${final ? '\n' : ''}`);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      draw(false);
      cb(null, chunk);
    },
    flush(cb) {
      draw(true);
      cb();
    },
  });
}
