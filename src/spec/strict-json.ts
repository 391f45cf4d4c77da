// JSON as appc's reference tools (actool, rkt: Go's encoding/json) read a
// manifest, where the spec leaves it to JSON: a member whose value is null
// is absent; a number written with a fraction or an exponent (80.0, 8e1) is
// not an integer; a key given twice is the last one given (objects keep
// their keys in the order of their last occurrence, and the values given
// before it apart, which go-object.ts needs to match keys whatever their
// case and check every value given, as Go does). docs/spec.md, "JSON".
import { invalid } from '../errors.js';
import { jsonPath } from './issues.js';

/** Parses manifest text; errors name the file and the JSON path. */
export function parseManifestJson(text: string, file: string): unknown {
  try {
    JSON.parse(text); // the syntax errors, with JSON.parse's own words
  } catch (e) {
    throw invalid(`not valid JSON: ${(e as Error).message}`, { file });
  }
  // JSON.parse forgets how numbers were written and where a repeated key stood: the text is read again.
  return new Reader(text, file).value();
}

const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\]|\\.)*"/y;

const EARLIER = new WeakMap<object, Map<string, unknown[]>>();

/** The values given to `key` of a read object before its last one, in order. */
export const earlierValues = (object: object, key: string): readonly unknown[] => EARLIER.get(object)?.get(key) ?? [];

/** Sets a member (any key, __proto__ too) as the object's last. */
export function setLast(object: Record<string, unknown>, key: string, value: unknown): void {
  delete object[key];
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Reads text that JSON.parse accepted into the value a manifest is checked as. */
class Reader {
  private at = 0;
  /** Where the reader is, for errors. */
  private readonly path: PropertyKey[] = [];

  constructor(private readonly text: string, private readonly file: string) {}

  value(): unknown {
    this.space();
    const c = this.text[this.at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    const literal = this.match(LITERAL);
    if (/^-?\d/.test(literal) && /[.eE]/.test(literal)) {
      throw invalid(`${literal} is not written as an integer: appc's numbers are integers, written without fraction or exponent`, { file: this.file, field: jsonPath(this.path) || undefined });
    }
    return JSON.parse(literal) as unknown;
  }

  /** An object without its null members (a null member is an absent one). */
  private object(): Record<string, unknown> {
    this.at++;
    const out: Record<string, unknown> = {};
    this.space();
    if (this.text[this.at] === '}') return this.at++, out;
    for (;;) {
      this.space();
      const key = this.string();
      this.space();
      this.at++; // ':'
      this.path.push(key);
      const v = this.value();
      this.path.pop();
      if (Object.hasOwn(out, key)) {
        const earlier = EARLIER.get(out) ?? new Map<string, unknown[]>();
        EARLIER.set(out, earlier.set(key, [...(earlier.get(key) ?? []), out[key]]));
      }
      if (v === null) delete out[key];
      else setLast(out, key, v);
      this.space();
      if (this.text[this.at++] === '}') return out;
    }
  }

  /** An array; null elements stay (the schema says what a null element of its list is). */
  private array(): unknown[] {
    this.at++;
    const out: unknown[] = [];
    this.space();
    if (this.text[this.at] === ']') return this.at++, out;
    for (let i = 0; ; i++) {
      this.path.push(i);
      out.push(this.value());
      this.path.pop();
      this.space();
      if (this.text[this.at++] === ']') return out;
    }
  }

  private string(): string {
    return JSON.parse(this.match(STRING)) as string;
  }

  /** The token at the current place (sticky patterns: no copy of the rest of the text). */
  private match(pattern: RegExp): string {
    pattern.lastIndex = this.at;
    const token = pattern.exec(this.text)![0];
    this.at += token.length;
    return token;
  }

  private space(): void {
    while (/[ \t\n\r]/.test(this.text[this.at] ?? '')) this.at++;
  }
}
