// Annotations (spec/aci.md, spec/pods.md): unique names; the well-known
// ones `created`, `homepage` and `documentation` have value formats.
import { z } from 'zod';
import { AcIdentifier } from './identifiers.js';
import { goObject, listSkippingNull } from './go-object.js';
import { uniqueNames } from './unique.js';

/** An annotation; without a value its value is "" (as actool reads it). */
export const Annotation = goObject({ name: AcIdentifier, value: z.string().default('') });
export type Annotation = z.infer<typeof Annotation>;

// RFC 3339 date-time (section 5.6), with the "T" the spec insists on.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function isTimestamp(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour < 24 && minute < 60 && second <= 60;
}

function isWebUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

const VALUE_RULES: Record<string, { ok: (v: string) => boolean; rule: string }> = {
  created: { ok: isTimestamp, rule: 'an RFC 3339 timestamp (like 2014-10-27T19:32:27Z)' },
  homepage: { ok: isWebUrl, rule: 'an http or https URL' },
  documentation: { ok: isWebUrl, rule: 'an http or https URL' },
};

export const Annotations = listSkippingNull(Annotation).superRefine((list, ctx) => {
  uniqueNames(list, ctx, 'annotation', (a) => a.name);
  list.forEach((a, i) => {
    const rule = Object.hasOwn(VALUE_RULES, a.name) ? VALUE_RULES[a.name] : undefined;
    if (rule && !rule.ok(a.value)) {
      ctx.addIssue({ code: 'custom', path: [i, 'value'], message: `${JSON.stringify(a.value)} is not ${rule.rule}`, input: a.value });
    }
  });
});
export type Annotations = z.infer<typeof Annotations>;
