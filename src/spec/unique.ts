// "Names must be unique within the list": one check for labels,
// annotations, environment, event handlers, apps and volumes.
import type { z } from 'zod';

/** Adds an issue at `[i].name` (or `key`) for each repeated name of `list`. */
export function uniqueNames<T>(
  list: readonly T[],
  ctx: z.core.$RefinementCtx<T[]>,
  what: string,
  nameOf: (item: T) => string,
  key = 'name',
): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const name = nameOf(item);
    if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, key], message: `duplicate ${what} ${JSON.stringify(name)}`, input: name });
    seen.add(name);
  });
}
