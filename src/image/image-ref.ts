// How an operator names an image: a full or abbreviated image ID, or
// name[:version][,label=value...].
import { z } from 'zod';
import { usage } from '../errors.js';

export const ImageRef = z.discriminatedUnion('by', [
  z.object({ by: z.literal('id'), prefix: z.string() }),
  z.object({ by: z.literal('name'), name: z.string(), labels: z.record(z.string(), z.string()) }),
]);
export type ImageRef = z.infer<typeof ImageRef>;

export function parseImageRef(ref: string): ImageRef {
  // sha512- alone is a prefix too: of every image (ambiguous unless there is one).
  if (/^sha512-[0-9a-f]{0,128}$/.test(ref)) return { by: 'id', prefix: ref };
  const [head, ...rest] = ref.split(',');
  const colon = head!.indexOf(':');
  const name = colon < 0 ? head! : head!.slice(0, colon);
  if (!name) throw usage(`no image name in ${JSON.stringify(ref)}`, { hint: 'name an image by ID (sha512-...) or as name[:version][,label=value...]' });
  const labels: Record<string, string> = colon < 0 ? {} : { version: head!.slice(colon + 1) };
  for (const pair of rest) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usage(`label ${JSON.stringify(pair)} is not label=value`, { field: ref });
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { by: 'name', name, labels };
}

/** True when every wanted label is present with the same value. */
export function labelsMatch(have: { name: string; value: string }[] | undefined, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have?.some((l) => l.name === k && l.value === v));
}

export function describeRef(name: string, labels: Record<string, string>): string {
  return [name, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)].join(',');
}
