// Turns the first zod issue into a SprocketError naming the file and the
// JSON path (app.environment[2].name), so an operator can find the spot.
import type { z } from 'zod';
import { invalid, type SprocketError } from '../errors.js';

/** JSON path of an issue: keys joined by dots, indices in brackets. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key))) out += out ? `.${String(key)}` : String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Human message for an issue: the schema's own, or a plainer one for zod's type checks. */
export function issueMessage(issue: z.core.$ZodIssue & { input?: unknown }): string {
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    if (issue.input === undefined) return 'is required';
    const expected = issue.expected === 'int' ? 'integer' : issue.expected;
    return `expected ${expected}, got ${typeName(issue.input)}`;
  }
  return issue.message;
}

/** Parses `json` with `schema`, or throws invalid() for the first issue found. */
export function parseJson<S extends z.ZodType>(schema: S, input: string | Buffer, file: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(input.toString());
  } catch (e) {
    throw invalid(`not valid JSON: ${(e as Error).message}`, { file });
  }
  return parseValue(schema, json, file);
}

/** Like parseJson, for a value that is already decoded; `at`: where the value stands in `file`. */
export function parseValue<S extends z.ZodType>(schema: S, value: unknown, file: string, at: readonly PropertyKey[] = []): z.infer<S> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  throw issueError(r.error.issues[0]!, file, at);
}

function issueError(issue: z.core.$ZodIssue, file: string, at: readonly PropertyKey[]): SprocketError {
  const field = jsonPath([...at, ...issue.path]);
  return invalid(issueMessage(issue), field ? { file, field } : { file });
}
