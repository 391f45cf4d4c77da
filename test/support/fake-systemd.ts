// An in-memory Systemd for unit tests of modules that start and watch units.
// It checks properties like the real one (wireProperties) and keeps what it
// was asked; tests move units along with exit().
import { randomBytes } from 'node:crypto';
import { plain, type PlainValue } from '../../src/systemd/bus.js';
import type { AuxUnit, Systemd } from '../../src/systemd/systemd.js';
import { wireProperties, type UnitProperties } from '../../src/systemd/unit-properties.js';
import type { UnitState } from '../../src/systemd/unit-state.js';
import { SprocketError } from '../../src/errors.js';

export interface FakeUnit {
  properties: UnitProperties;
  aux: AuxUnit[];
  state: UnitState;
  /** Signals sent with killUnit, in order. */
  signals: number[];
}

export class FakeSystemd implements Systemd {
  readonly units = new Map<string, FakeUnit>();
  /** Every call, as [method, unit name]. */
  readonly calls: [string, string][] = [];
  private nextPid = 1000;
  closed = false;

  async startTransientUnit(name: string, properties: UnitProperties, aux: AuxUnit[] = []): Promise<void> {
    this.calls.push(['startTransientUnit', name]);
    wireProperties(name, properties);
    for (const a of aux) wireProperties(a.name, a.properties);
    if (this.units.has(name)) throw new SprocketError('conflict', `start transient unit: Unit ${name} was already loaded or has a fragment file.`, { file: name });
    const pid = this.nextPid++;
    const now = Date.now() * 1000;
    this.units.set(name, {
      properties,
      aux,
      signals: [],
      state: {
        name,
        loadState: 'loaded',
        activeState: 'active',
        subState: 'running',
        invocationId: randomBytes(16).toString('hex'),
        result: name.endsWith('.service') ? 'success' : null,
        mainPID: pid,
        execMainPID: pid,
        execMainCode: 0,
        execMainStatus: 0,
        activeEnterTimestamp: now,
        inactiveEnterTimestamp: null,
        execMainStartTimestamp: now,
        execMainExitTimestamp: null,
      },
    });
  }

  /** The unit's main process exits with `status`: a transient unit that succeeded is collected, one that failed stays failed. */
  exit(name: string, status: number): void {
    const unit = this.units.get(name);
    if (!unit) throw new Error(`fake systemd: no unit ${name}`);
    if (status === 0) this.units.delete(name);
    else {
      const now = Date.now() * 1000;
      unit.state = { ...unit.state, activeState: 'failed', subState: 'failed', result: 'exit-code', mainPID: 0, execMainCode: 1, execMainStatus: status, inactiveEnterTimestamp: now, execMainExitTimestamp: now };
      if (unit.properties.CollectMode === 'inactive-or-failed') this.units.delete(name);
    }
  }

  /** Starts a unit that is known (started before, or put into `units` by the test). */
  async startUnit(name: string): Promise<void> {
    this.calls.push(['startUnit', name]);
    const unit = this.units.get(name);
    if (!unit) throw new SprocketError('not-found', `start unit: Unit ${name} not found.`, { file: name });
    unit.state = { ...unit.state, activeState: 'active', subState: name.endsWith('.socket') ? 'listening' : 'running' };
  }

  async stopUnit(name: string): Promise<void> {
    this.calls.push(['stopUnit', name]);
    const unit = this.units.get(name);
    if (unit && unit.state.activeState !== 'failed') this.units.delete(name);
  }

  async killUnit(name: string, signal: number): Promise<void> {
    this.calls.push(['killUnit', name]);
    const unit = this.units.get(name);
    if (!unit) throw new SprocketError('not-found', `kill unit: Unit ${name} not loaded.`, { file: name });
    unit.signals.push(signal);
  }

  async resetFailedUnit(name: string): Promise<void> {
    this.calls.push(['resetFailedUnit', name]);
    if (this.units.get(name)?.state.activeState === 'failed') this.units.delete(name);
  }

  /** Set by a test: getUnitState fails with it (systemd unreachable). */
  failGetUnitState?: Error;

  async getUnitState(name: string): Promise<UnitState | null> {
    if (this.failGetUnitState) throw this.failGetUnitState;
    return this.units.get(name)?.state ?? null;
  }

  async getActiveState(name: string): Promise<string | null> {
    return (await this.getUnitState(name))?.activeState ?? null;
  }

  /** The properties the unit was started with, whatever the interface asked for, and its ControlGroup (in its slice). */
  async getUnitProperties(name: string): Promise<Record<string, PlainValue>> {
    const unit = this.units.get(name);
    if (!unit) throw new SprocketError('not-found', 'no such unit loaded', { file: name });
    const slice = typeof unit.properties.Slice === 'string' ? unit.properties.Slice : 'system.slice';
    return { ...Object.fromEntries(wireProperties(name, unit.properties).map(([n, , v]) => [n, plain(v)])), ControlGroup: `/${slice}/${name}` };
  }

  close(): void {
    this.closed = true;
  }
}
