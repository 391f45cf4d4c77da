// Table-driven checks for the spec schemas: a case mutates a valid
// manifest and names the field and message the parser must report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SprocketError } from '../../../src/errors.js';

export type Doc = Record<string, any>;
export interface Case {
  rule: string;
  change: (doc: Doc) => void;
  /** `field: message` expected, or undefined when the change is valid. */
  error?: string;
}

/** A minimal valid image manifest with an app. */
export const image = (): Doc => ({
  acKind: 'ImageManifest',
  acVersion: '0.8.11',
  name: 'example.com/app',
  app: { exec: ['/bin/app'], user: '0', group: '0' },
});

/** A minimal valid pod manifest with one app. */
export const pod = (): Doc => ({
  acKind: 'PodManifest',
  acVersion: '0.8.11',
  apps: [{ name: 'app', image: { id: `sha512-${'a'.repeat(128)}` } }],
});

/** The error of parsing `doc` as `field: message`, or undefined if it parses. */
export function problem(parse: (text: string, file: string) => unknown, doc: Doc): string | undefined {
  try {
    parse(JSON.stringify(doc), 'manifest.json');
    return undefined;
  } catch (e) {
    assert.ok(e instanceof SprocketError, `not a SprocketError: ${String(e)}`);
    assert.equal(e.kind, 'invalid');
    assert.equal(e.file, 'manifest.json');
    return `${e.field}: ${e.message}`;
  }
}

/** One test per case, each on a fresh copy of `base()`. */
export function runCases(parse: (text: string, file: string) => unknown, base: () => Doc, cases: readonly Case[]): void {
  for (const c of cases) {
    test(`${c.rule}${c.error ? ' (bad)' : ' (good)'}`, () => {
      const doc = base();
      c.change(doc);
      assert.equal(problem(parse, doc), c.error);
    });
  }
}
