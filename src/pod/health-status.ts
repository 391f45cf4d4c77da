// An app's health as status shows it: pods/<uuid>/status/APP.health, which
// only the pod's app-health@APP.service writes (stage1-nspawn/app-health.ts;
// the format is in stage1-nspawn/scripts/app-health). No zod: status and
// list never load it (state-schema.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AppHealthStatus } from './state-schema.js';

/** status/APP.health (scripts/app-health writes it; app names hold no dot, so it is no app's exit record). */
const healthFile = (app: string) => `${app}.health`;
const STATES = new Set<string>(['starting', 'healthy', 'unhealthy']);

/** The health of app `app` from the pod's status directory: starting before its first check. */
export function readAppHealth(statusDir: string, app: string): AppHealthStatus {
  let text: string;
  try {
    text = readFileSync(path.join(statusDir, healthFile(app)), 'utf8');
  } catch {
    return { state: 'starting', failures: 0 };
  }
  const newline = text.indexOf('\n');
  const [state = '', failures = '', time = '', , result = '', status = ''] = text.slice(0, newline < 0 ? undefined : newline).split(' ');
  if (!STATES.has(state)) return { state: 'starting', failures: 0 };
  const output = newline < 0 ? '' : text.slice(newline + 1);
  return {
    state: state as AppHealthStatus['state'],
    failures: /^\d+$/.test(failures) ? Number(failures) : 0,
    ...(/^\d+$/.test(time) ? { checked: new Date(Number(time)).toISOString() } : {}),
    ...(result && result !== '-' ? { result } : {}),
    ...(/^\d+$/.test(status) ? { exitStatus: Number(status) } : {}),
    ...(output ? { output } : {}),
  };
}
