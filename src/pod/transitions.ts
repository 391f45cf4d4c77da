// Which operations a pod's state allows, written once (as youki's
// can_start/can_kill/can_delete): every operation asks here instead of
// checking states of its own. States: docs/pods.md.
import { SprocketError } from '../errors.js';
import type { PodStatus } from './state-schema.js';

type PodStatusName = PodStatus['state'];

export type PodOperation = 'start' | 'stop' | 'enter' | 'remove' | 'collect' | 'export';

/** The states each operation accepts. stop of a pod that is not running is a no-op, not an error. */
const ALLOWED: Record<PodOperation, readonly PodStatusName[]> = {
  start: ['prepared'],
  stop: ['running'],
  enter: ['running'],
  // unknown: its files cannot be read (list says why); only the operator removes it, and not while its unit runs.
  remove: ['prepared', 'exited', 'garbage', 'unknown'],
  collect: ['prepared', 'exited', 'garbage'],
  // Its apps' upper directories are complete only once it has exited.
  export: ['exited'],
};

/** What the operation is called in an error, and what the operator can do. */
const REFUSAL: Record<PodOperation, { verb: string; hint: (uuid: string) => string }> = {
  start: { verb: 'started', hint: () => 'only a prepared pod can be started: prepare a new pod' },
  stop: { verb: 'stopped', hint: () => 'the pod is not running' },
  enter: { verb: 'entered', hint: () => 'enter needs a running pod' },
  remove: { verb: 'removed', hint: (uuid) => `stop it first: sprocket stop ${uuid}` },
  collect: { verb: 'collected', hint: (uuid) => `stop it first: sprocket stop ${uuid}` },
  export: { verb: 'exported', hint: (uuid) => `only an exited pod can be exported: stop it first (sprocket stop ${uuid})` },
};

/** True when `state` allows `op`. */
export const podMay = (op: PodOperation, state: PodStatusName): boolean => ALLOWED[op].includes(state);

/** Throws a conflict naming the pod, its state and what to do, unless `state` allows `op`. */
export function assertPodMay(op: PodOperation, uuid: string, state: PodStatusName): void {
  if (podMay(op, state)) return;
  const { verb, hint } = REFUSAL[op];
  throw new SprocketError('conflict', `pod ${uuid} is ${state}: it cannot be ${verb}`, { file: uuid, hint: hint(uuid) });
}
