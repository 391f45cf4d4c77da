// What every pod operation works with: the state directory, the host's
// systemd, the pods' networks, the host's journal, mounts and cgroups, and
// the journal of lifecycle events. The CLI makes the real one; unit tests
// pass fakes.
import type { PodEvent } from '../journal/events.js';
import type { Syscalls } from '../syscalls.js';
import type { Systemd } from '../systemd/systemd.js';
import type { PodPlan } from '../../stage1-nspawn/plan.js';

/** The pods' networks (src/net/host-networking.ts; a fake in unit tests). */
export interface PodNetworking {
  /** Refuses a plan whose networks are unknown or whose plugins are missing (prepare, start). */
  check(plan: PodPlan): Promise<void>;
  /** Refuses a plan whose host ports are taken (start, before anything is recorded). */
  checkPorts(plan: PodPlan): Promise<void>;
  /** Sets up the pod's network before its nspawn starts; undone on failure. */
  setUp(plan: PodPlan): Promise<void>;
  /** Tears down what setUp made (idempotent; after a crash too). */
  tearDown(podDir: string): Promise<void>;
  /** The command the pod's host unit runs after the pod ended (ExecStopPost=): tearDown, by the CLI. */
  tearDownCommand(uuid: string): Promise<string[]>;
}

export interface PodContext {
  stateDir: string;
  systemd: Systemd;
  net: PodNetworking;
  /** journalctl, umount, nsenter, /proc (src/syscalls.ts). */
  sys: Syscalls;
  /** Writes one lifecycle event (src/journal: writePodEvent). */
  event(event: PodEvent): void;
}
