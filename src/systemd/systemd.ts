// What sprocket asks of a systemd (the host's, or a pod's). The real one
// speaks D-Bus (manager.ts); unit tests of other modules use
// test/support/fake-systemd.ts.
import type { PlainValue } from './bus.js';
import type { UnitProperties } from './unit-properties.js';
import type { UnitState } from './unit-state.js';

/** A unit started together with a transient unit (a scope's slice, say). */
export interface AuxUnit {
  name: string;
  properties: UnitProperties;
}

/** The interfaces of a unit object whose properties can be read. */
export type UnitInterface = 'Unit' | 'Service' | 'Scope' | 'Slice';

export interface Systemd {
  /**
   * Starts a transient unit and waits for its start job: for Type=simple that
   * is the fork, for exec the exec, for oneshot the end. Throws a
   * SprocketError ('conflict' if the unit exists, 'runtime' if the job failed).
   */
  startTransientUnit(name: string, properties: UnitProperties, aux?: AuxUnit[]): Promise<void>;
  /** Starts a unit from its unit file and waits for the start job. Throws 'not-found' when there is no such unit. */
  startUnit(name: string): Promise<void>;
  /** Stops a unit and waits until it is stopped. A unit that is not loaded is already stopped. */
  stopUnit(name: string): Promise<void>;
  /** Sends a signal to the unit's processes (all, or only its main process). */
  killUnit(name: string, signal: number, who?: 'main' | 'all'): Promise<void>;
  /** Forgets a failed unit's failure (and so lets a failed transient unit be collected). */
  resetFailedUnit(name: string): Promise<void>;
  /** The unit's state, or null when systemd has no such unit loaded. */
  getUnitState(name: string): Promise<UnitState | null>;
  /**
   * The unit's ActiveState alone, or null when it is not loaded: one small
   * reply instead of getUnitState's every property (reading those costs
   * milliseconds, on the way to a pod's start).
   */
  getActiveState(name: string): Promise<string | null>;
  /** Every property of one interface of a loaded unit, as plain values. */
  getUnitProperties(name: string, iface?: UnitInterface): Promise<Record<string, PlainValue>>;
  /** Closes the connection. */
  close(): void;
}
