// --insecure-options: the security checks an operator may switch off, as in
// rkt (Documentation/commands.md, global options).
import { z } from 'zod';
import { usage } from '../errors.js';
import type { Transport } from './http.js';

const INSECURE_OPTIONS = ['none', 'http', 'image', 'tls', 'all'] as const;

export const InsecureOptions = z.object({
  /** Plain http for discovery and downloads. */
  http: z.boolean(),
  /** No signature verification. */
  image: z.boolean(),
  /** Any TLS certificate. */
  tls: z.boolean(),
});
export type InsecureOptions = z.infer<typeof InsecureOptions>;

/** Parses --insecure-options=http,image,tls,all,none. */
export function parseInsecureOptions(text: string | undefined): InsecureOptions {
  const words = (text ?? '').split(',').map((w) => w.trim()).filter(Boolean);
  for (const w of words) {
    if (!(INSECURE_OPTIONS as readonly string[]).includes(w)) {
      throw usage(`unknown insecure option ${JSON.stringify(w)} (options: ${INSECURE_OPTIONS.join(', ')})`, { field: '--insecure-options' });
    }
  }
  const on = (w: string) => words.includes(w) || words.includes('all');
  return { http: on('http'), image: on('image'), tls: on('tls') };
}

export const transportOf = (insecure: InsecureOptions): Transport => ({ allowHttp: insecure.http, skipTlsVerify: insecure.tls });
