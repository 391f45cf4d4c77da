// The pod's own record of its life, DIR/pods/<uuid>/state: replaced
// atomically (temp file + rename), so a reader sees the old or the new
// state, never half of one, whatever happens to the writer. Its schema is
// in state-schema.ts: it is checked whole when written, and read with a
// cheap check only (list reads it for every pod; zod would be loaded for it).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { invalid } from '../errors.js';
import type { PodState } from './state-schema.js';

export type { PodState, PodStateName } from './state-schema.js';

export const POD_STATE_NAMES = ['preparing', 'prepared', 'running', 'exited', 'garbage'] as const;
/** A pod's status is one of its states, or unknown when its files cannot be read (list and gc report why). */
export const POD_STATUS_NAMES = [...POD_STATE_NAMES, 'unknown'] as const;

const HINT = 'the pod directory was changed by hand; remove it with sprocket rm';

export async function readState(file: string): Promise<PodState> {
  // Synchronously: a tiny file, read for every pod by list (see status.ts).
  const text = readFileSync(file, 'utf8');
  let json: Partial<Record<keyof PodState, unknown>>;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('pod state is not JSON', { file, hint: HINT });
  }
  if (typeof json !== 'object' || json === null) throw invalid('pod state is not an object', { file, hint: HINT });
  if (!(POD_STATE_NAMES as readonly unknown[]).includes(json.state)) throw invalid(`must be one of ${POD_STATE_NAMES.join(', ')}`, { file, field: 'state', hint: HINT });
  if (typeof json.created !== 'string') throw invalid('must be a time', { file, field: 'created', hint: HINT });
  return json as PodState;
}

/**
 * Writes `data` to `file` through a temp file (synced) and rename. With
 * synchronous calls: the files are small, and each asynchronous call is a
 * trip through libuv's thread pool, some ten of them per file on the way to
 * every pod's start (docs/performance.md).
 */
export async function writeAtomically(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export async function writeState(file: string, state: PodState): Promise<void> {
  const { PodState } = await import('./state-schema.js');
  await writeAtomically(file, `${JSON.stringify(PodState.parse(state))}\n`);
}

export const now = () => new Date().toISOString();
