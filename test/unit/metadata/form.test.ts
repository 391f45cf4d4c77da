import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseForm } from '../../../src/metadata/form.js';

const fields = (body: string) => Object.fromEntries([...parseForm(Buffer.from(body, 'latin1'))].map(([k, v]) => [k, v.toString('hex')]));
const hex = (s: string) => Buffer.from(s).toString('hex');

describe('parseForm', () => {
  it('decodes + and %XX to bytes, names to UTF-8', () => {
    assert.deepEqual(fields('content=a+b%2B%00%ff&n%C3%A4me=x'), { content: `${hex('a b+')}00ff`, 'näme': hex('x') });
  });

  it('keeps the first of repeated fields; a name without = has an empty value; empty pairs are skipped', () => {
    assert.deepEqual(fields('a=1&&a=2&b&'), { a: hex('1'), b: '' });
  });

  it('throws on a broken escape', () => {
    assert.throws(() => parseForm(Buffer.from('a=%4')), /broken escape/);
    assert.throws(() => parseForm(Buffer.from('a=%g0')), /broken escape/);
  });
});
