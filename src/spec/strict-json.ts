// JSON as appc's reference tools (actool, Go's encoding/json) read a
// manifest, where the spec leaves it to JSON: a member whose value is null
// is absent; a number written with a fraction or an exponent (80.0, 8e1) is
// not an integer; and, stricter than Go (which keeps the last), an object
// with a key twice is refused: two readers could see two manifests
// (docs/spec.md, "JSON").
import { invalid } from '../errors.js';
import { jsonPath } from './issues.js';

/** Parses manifest text; errors name the file and the JSON path. */
export function parseManifestJson(text: string, file: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalid(`not valid JSON: ${(e as Error).message}`, { file });
  }
  // JSON.parse forgets how numbers were written and which keys repeated: the text is read again for those.
  new Scanner(text, file).value();
  return withoutNullMembers(value);
}

/** Object members whose value is null dropped, at every depth (null in an array stays: the schema refuses it). */
function withoutNullMembers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNullMembers);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNullMembers(x)]));
}

const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\]|\\.)*"/y;

/** Walks text that JSON.parse accepted, checking what it cannot see. */
class Scanner {
  private at = 0;
  /** Where the scanner is, for errors. */
  private readonly path: PropertyKey[] = [];

  constructor(private readonly text: string, private readonly file: string) {}

  value(): void {
    this.space();
    const c = this.text[this.at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return void this.string();
    const literal = this.match(LITERAL);
    if (/^-?\d/.test(literal) && /[.eE]/.test(literal)) {
      throw invalid(`${literal} is not written as an integer: appc's numbers are integers, written without fraction or exponent`, { file: this.file, field: jsonPath(this.path) || undefined });
    }
  }

  private object(): void {
    this.at++;
    const keys = new Set<string>();
    this.space();
    if (this.text[this.at] === '}') return void this.at++;
    for (;;) {
      this.space();
      const key = this.string();
      if (keys.has(key)) throw invalid(`key ${JSON.stringify(key)} appears twice in one object`, { file: this.file, field: jsonPath([...this.path, key]) });
      keys.add(key);
      this.space();
      this.at++; // ':'
      this.path.push(key);
      this.value();
      this.path.pop();
      this.space();
      if (this.text[this.at++] === '}') return;
    }
  }

  private array(): void {
    this.at++;
    this.space();
    if (this.text[this.at] === ']') return void this.at++;
    for (let i = 0; ; i++) {
      this.path.push(i);
      this.value();
      this.path.pop();
      this.space();
      if (this.text[this.at++] === ']') return;
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
