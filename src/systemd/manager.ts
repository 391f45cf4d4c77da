// The Systemd interface over D-Bus: org.freedesktop.systemd1.Manager and
// the unit objects' properties. Plain method calls with known signatures:
// dbus-next's proxy objects would first introspect every object (one more
// round trip and an XML parse per unit, docs/performance.md).
import { SprocketError } from '../errors.js';
import { busErrorName, busFailure, callMethod, onSignal, openSystemBus, plain, variant, type MessageBus, type MethodCall, type PlainValue } from './bus.js';
import type { AuxUnit, Systemd, UnitInterface } from './systemd.js';
import { wireProperties, type UnitProperties } from './unit-properties.js';
import { JobResults } from './job-results.js';
import { unitStateFrom } from './unit-state.js';

const DEST = 'org.freedesktop.systemd1';
const IFACE = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = `${IFACE}.Manager`;
const NO_SUCH_UNIT = 'org.freedesktop.systemd1.NoSuchUnit';

/** InvocationID (ay, 16 bytes) as the 32 hex digits of $INVOCATION_ID. */
function invocationId(value: unknown): string {
  const bytes = value instanceof Object && 'value' in value ? (value as { value: unknown }).value : value;
  return Buffer.isBuffer(bytes) ? bytes.toString('hex') : '';
}

class DbusSystemd implements Systemd {
  readonly jobs = new JobResults();
  /**
   * The match rule for JobRemoved and Subscribe(), sent as the connection
   * opens: a job's call waits for them (its result comes as that signal),
   * other calls are sent meanwhile and fail with this one's error when the
   * bus does not answer (no round trip of their own to wait for).
   */
  readonly subscribed: Promise<void>;

  constructor(private readonly bus: MessageBus) {
    this.subscribed = Promise.all([
      onSignal(bus, { sender: DEST, path: MANAGER_PATH, iface: MANAGER, member: 'JobRemoved' }, (_id: number, job: string, _unit: string, result: string) => this.jobs.removed(job, result)),
      // Without Subscribe() systemd sends no JobRemoved signals.
      callMethod(bus, { destination: DEST, path: MANAGER_PATH, iface: MANAGER, member: 'Subscribe', signature: '', body: [] }),
    ]).then(() => undefined, (err: unknown) => {
      throw new SprocketError('runtime', `cannot talk to systemd over D-Bus: ${(err as Error).message}`, {
        hint: 'sprocket needs a host that runs systemd as PID 1 and dbus',
      }, { cause: err });
    });
    this.subscribed.catch(() => undefined); // reported by the calls that wait for it
  }

  /** A call sent at once, answered once the connection is known to work (subscribed). */
  private async call(call: MethodCall): Promise<unknown> {
    return (await Promise.all([callMethod(this.bus, call), this.subscribed]))[0];
  }

  /** Calls a method of the manager; resolves to its first return value. */
  private manager(member: string, signature: string, ...body: unknown[]): Promise<unknown> {
    return this.call({ destination: DEST, path: MANAGER_PATH, iface: MANAGER, member, signature, body });
  }

  /** Runs a job-returning manager call and waits for the job's end. */
  private async job(what: string, unit: string, call: () => Promise<unknown>): Promise<void> {
    await this.subscribed;
    const result = await this.jobs.run(what, unit, async () => {
      try {
        return (await call()) as string;
      } catch (err) {
        throw busFailure(what, unit, err);
      }
    });
    if (result !== 'done') {
      throw new SprocketError('runtime', `${what}: job ${result}`, {
        file: unit,
        hint: `see: systemctl status ${unit}; journalctl -u ${unit}`,
      });
    }
  }

  async startTransientUnit(name: string, properties: UnitProperties, aux: AuxUnit[] = []): Promise<void> {
    const wire = (unit: string, p: UnitProperties) => wireProperties(unit, p).map(([n, sig, v]) => [n, variant(sig, v)]);
    const props = wire(name, properties);
    const auxUnits = aux.map((a) => [a.name, wire(a.name, a.properties)]);
    await this.job('start transient unit', name, () => this.manager('StartTransientUnit', 'ssa(sv)a(sa(sv))', name, 'fail', props, auxUnits));
  }

  async startUnit(name: string): Promise<void> {
    await this.job('start unit', name, () => this.manager('StartUnit', 'ss', name, 'replace'));
  }

  async stopUnit(name: string): Promise<void> {
    try {
      await this.job('stop unit', name, () => this.manager('StopUnit', 'ss', name, 'replace'));
    } catch (err) {
      if (busErrorName((err as Error).cause) !== NO_SUCH_UNIT) throw err;
    }
  }

  async killUnit(name: string, signal: number, who: 'main' | 'all' = 'all'): Promise<void> {
    if (!Number.isInteger(signal) || signal < 1 || signal > 64) {
      throw new SprocketError('invalid', `not a signal number: ${signal}`, { file: name });
    }
    try {
      await this.manager('KillUnit', 'ssi', name, who, signal);
    } catch (err) {
      throw busFailure('kill unit', name, err);
    }
  }

  async resetFailedUnit(name: string): Promise<void> {
    try {
      await this.manager('ResetFailedUnit', 's', name);
    } catch (err) {
      if (busErrorName(err) !== NO_SUCH_UNIT) throw busFailure('reset failed unit', name, err);
    }
  }

  private async unitPath(name: string): Promise<string | null> {
    try {
      return (await this.manager('GetUnit', 's', name)) as string;
    } catch (err) {
      if (busErrorName(err) === NO_SUCH_UNIT) return null;
      throw busFailure('get unit', name, err);
    }
  }

  private async properties(name: string, path: string, iface: UnitInterface): Promise<Record<string, PlainValue>> {
    try {
      const all = (await this.call({
        destination: DEST, path, iface: 'org.freedesktop.DBus.Properties', member: 'GetAll', signature: 's', body: [`${IFACE}.${iface}`],
      })) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, k === 'InvocationID' ? invocationId(v) : plain(v)]));
    } catch (err) {
      throw busFailure(`read ${iface} properties`, name, err);
    }
  }

  async getUnitState(name: string) {
    const path = await this.unitPath(name);
    if (!path) return null;
    const [unit, service] = await Promise.all([
      this.properties(name, path, 'Unit'),
      name.endsWith('.service') ? this.properties(name, path, 'Service') : null,
    ]);
    return unitStateFrom(name, unit, service);
  }

  async getActiveState(name: string) {
    const path = await this.unitPath(name);
    if (!path) return null;
    try {
      return String(plain(await this.call({
        destination: DEST, path, iface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [`${IFACE}.Unit`, 'ActiveState'],
      })));
    } catch (err) {
      throw busFailure('read ActiveState', name, err);
    }
  }

  async getUnitProperties(name: string, iface: UnitInterface = 'Unit') {
    const path = await this.unitPath(name);
    if (!path) throw new SprocketError('not-found', 'no such unit loaded', { file: name });
    return this.properties(name, path, iface);
  }

  close(): void {
    this.bus.disconnect();
  }
}

/**
 * Connects to the systemd of this host over the system bus. Resolves at
 * once: the connection's own round trips (authentication, Hello, the
 * subscription) go along with the first calls, not before them.
 */
export async function connectSystemd(): Promise<Systemd> {
  return systemdOver(await openSystemBus());
}

/** The Systemd interface over a bus already made (rehearsal.ts passes one in memory). */
export const systemdOver = (bus: MessageBus): Systemd => new DbusSystemd(bus);
