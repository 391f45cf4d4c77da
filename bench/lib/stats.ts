// Figures and tables of the benchmarks: percentiles of samples, the
// machine's load (printed with every result), fixed-width tables.
import fs from 'node:fs';

/** The q-quantile (0..1) of samples, nearest rank. */
export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
export const median = (s: number[]) => quantile(s, 0.5);
export const p90 = (s: number[]) => quantile(s, 0.9);

/** "load 1.23 0.98 0.70 (2 cores)": the 1, 5 and 15 minute load averages. */
export function load(): string {
  const [a, b, c] = fs.readFileSync('/proc/loadavg', 'utf8').split(' ');
  return `load ${a} ${b} ${c} (${fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s/gm)?.length ?? '?'} cores)`;
}

/** Rows of cells as a table; the first row is the header; numbers right-aligned. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const right = (i: number) => rows.slice(1).every((r) => typeof r[i] === 'number' || /^[\d.x-]+( \w+)?$/.test(String(r[i] ?? '')));
  return cells
    .map((r) => r.map((c, i) => (right(i) && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

export const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
export const mib = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 1024 / 1024).toFixed(2) : '-');
export const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '-');

/** Parses `--name value` flags with numeric defaults: flags(argv, { n: 15 }). */
export function flags<T extends Record<string, number>>(argv: string[], defaults: T): T {
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]!);
    const key = m?.[1];
    if (!key || !(key in defaults)) throw new Error(`unknown flag ${argv[i]} (known: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')})`);
    const value = Number(m[2] ?? argv[++i]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${key} needs a number`);
    out[key] = value;
  }
  return out as T;
}
