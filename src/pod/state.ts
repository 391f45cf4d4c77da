// The pod's own record of its life, DIR/pods/<uuid>/state: replaced
// atomically (temp file + rename), so a reader sees the old or the new
// state, never half of one, whatever happens to the writer.
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { z } from 'zod';
import { invalid } from '../errors.js';

/** preparing → prepared → running → exited → garbage (→ removed). */
export const PodStateName = z.enum(['preparing', 'prepared', 'running', 'exited', 'garbage']);
export type PodStateName = z.infer<typeof PodStateName>;

const Time = z.iso.datetime();

export const PodState = z.object({
  state: PodStateName,
  /** The pod's name (--name), unique among live pods. */
  name: z.string().optional(),
  created: Time,
  started: Time.optional(),
  exited: Time.optional(),
  /** When the pod was found exited and marked for collection. */
  garbageSince: Time.optional(),
});
export type PodState = z.infer<typeof PodState>;

export async function readState(file: string): Promise<PodState> {
  // Synchronously: a tiny file, read for every pod by list (see status.ts).
  const text = readFileSync(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('pod state is not JSON', { file, hint: 'the pod directory was changed by hand; remove it with sprocket rm' });
  }
  const r = PodState.safeParse(json);
  if (!r.success) throw invalid(r.error.issues[0]!.message, { file, field: r.error.issues[0]!.path.join('.') });
  return r.data;
}

/** Writes `data` to `file` through a temp file and rename. */
export async function writeAtomically(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}

export const writeState = (file: string, state: PodState) => writeAtomically(file, `${JSON.stringify(PodState.parse(state))}\n`);

export const now = () => new Date().toISOString();
