// What every pod operation works with: the state directory, the host's
// systemd and the journal of lifecycle events. The CLI makes the real one;
// unit tests pass fakes.
import type { PodEvent } from '../journal/events.js';
import type { Systemd } from '../systemd/systemd.js';

export interface PodContext {
  stateDir: string;
  systemd: Systemd;
  /** Writes one lifecycle event (src/journal: writePodEvent). */
  event(event: PodEvent): void;
}
