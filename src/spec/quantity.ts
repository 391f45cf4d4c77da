// Resource quantities (spec/ace.md, "Resource Isolators"): a decimal
// number with an SI suffix (m, k/K, M, G, T, P, E), a binary one (Ki .. Ei)
// or an exponent (1e3), as Kubernetes writes them.
import { z } from 'zod';

const QUANTITY = /^\+?(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkKMGTPE]|[eE][+-]?\d+)?$/;
const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/**
 * The value of a quantity in base units (bytes, cores): "512Mi" is
 * 536870912, "250m" is 0.25. Undefined for text that is no quantity.
 */
export function quantityValue(text: string): number | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const suffix = m[2] ?? '';
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix]!;
  return Number(m[1]) * factor;
}

/**
 * A non-negative quantity, kept as written so manifests round-trip; a
 * number (1024) is read as its digits ("1024"), as actool and rkt read it.
 */
export const Quantity = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : v),
  z.string().refine((s) => quantityValue(s) !== undefined, {
    error: (i) => `${JSON.stringify(i.input)} is not a quantity (like 500m, 1G, 512Mi)`,
  }),
);
