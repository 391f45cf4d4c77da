// Objects and lists of a manifest as appc's reference tools (actool, rkt)
// decode them with Go's encoding/json: a key names a field whatever its
// case ("Name" and "NAME" are name, Unicode's folding too: "\u017f" is s),
// and of several keys for one field the last one given wins
// (strict-json.ts keeps keys in the order of their last occurrence); a
// null element of a list is the element's zero value (docs/spec.md, "JSON").
import { z } from 'zod';
import { earlierValues, setLast } from './strict-json.js';

// Go folds the long s and the Kelvin sign into ASCII letters; nothing else outside ASCII does.
const foldChar = (c: string) => (c === '\u017f' ? 's' : c === '\u212a' ? 'k' : c.length === 1 && c < '\x80' ? c.toLowerCase() : c);
const fold = (key: string) => [...key].map(foldChar).join('');

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The input with each key that folds to one of `fields` renamed to it; the
 * last such key wins. Others stay. With `check`, the values that lost
 * (earlier keys, and earlier occurrences of a key) are checked too, as Go
 * decodes each of them: `check(field, value, key)`.
 */
export function foldedKeys(fields: readonly string[], input: unknown, check?: (field: string, value: unknown, key: string) => void): unknown {
  if (!isPlainObject(input)) return input;
  const byFold = new Map(fields.map((f) => [fold(f), f]));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const field = byFold.get(fold(key)) ?? key;
    if (check && byFold.has(fold(key))) {
      if (Object.hasOwn(out, field)) check(field, out[field], key);
      for (const v of earlierValues(input, key)) check(field, v, key);
    }
    setLast(out, field, value);
  }
  return out;
}

/** An object of a manifest: z.looseObject (unknown members kept) whose keys match as Go's do. */
export const goObject = <S extends z.core.$ZodLooseShape>(shape: S) => {
  const fields = Object.keys(shape);
  return z.preprocess((input, ctx) => foldedKeys(fields, input, (field, value, key) => {
    if (value === null) return; // no effect in Go
    const r = (shape[field] as z.ZodType).safeParse(value, { reportInput: true });
    for (const issue of r.error?.issues ?? []) ctx.issues.push({ ...issue, path: [key, ...issue.path] } as (typeof ctx.issues)[number]);
  }), z.looseObject(shape));
};

/** A string where "" is none (Go cannot tell them apart: actool and rkt read "" as not given). */
export const emptyIsAbsent = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

/** A list of strings: a null element is "", as Go reads it. */
export const stringList = <T extends z.ZodType<string>>(item: T) => z.array(z.preprocess((v) => v ?? '', item));

/**
 * A list of objects in which actool takes a null element (Go's empty
 * struct, whose fields it then leaves unchecked): here the null is no
 * element. Lists where actool refuses null elements are plain z.array.
 */
export const listSkippingNull = <T extends z.ZodType>(item: T) => z.array(item.nullable()).transform((l) => l.filter((e): e is z.output<T> => e !== null));
