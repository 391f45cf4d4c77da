// The state of a unit as systemd reports it, in the shape sprocket reads.
import { z } from 'zod';
import type { PlainValue } from './bus.js';

const timestamp = z.number().nullable(); // microseconds since the epoch; null: never

export const UnitStateSchema = z.object({
  name: z.string(),
  loadState: z.string(), // loaded, not-found, masked ...
  activeState: z.string(), // active, activating, deactivating, inactive, failed
  subState: z.string(), // running, exited, dead ...
  /** This run of the unit (32 hex digits, $INVOCATION_ID of its processes); '' before its first start. */
  invocationId: z.string(),
  /** Service result: success, exit-code, signal, timeout ...; null for units that are not services. */
  result: z.string().nullable(),
  mainPID: z.number().int(),
  execMainPID: z.number().int(),
  /** How the main process ended: 1 exited, 2 killed, 3 dumped core (CLD_*); 0 while it runs. */
  execMainCode: z.number().int(),
  /** Exit status, or signal number when killed. */
  execMainStatus: z.number().int(),
  activeEnterTimestamp: timestamp,
  inactiveEnterTimestamp: timestamp,
  execMainStartTimestamp: timestamp,
  execMainExitTimestamp: timestamp,
});
export type UnitState = z.infer<typeof UnitStateSchema>;

type Properties = Record<string, PlainValue>;

const num = (v: PlainValue | undefined) => (typeof v === 'number' ? v : 0);
const time = (v: PlainValue | undefined) => (typeof v === 'number' && v > 0 && v !== Infinity ? v : null);

/** Builds a UnitState from the Unit properties and, for a service, the Service properties. */
export function unitStateFrom(name: string, unit: Properties, service: Properties | null): UnitState {
  return UnitStateSchema.parse({
    name,
    loadState: String(unit.LoadState),
    activeState: String(unit.ActiveState),
    subState: String(unit.SubState),
    invocationId: typeof unit.InvocationID === 'string' ? unit.InvocationID : '',
    result: service ? String(service.Result) : null,
    mainPID: num(service?.MainPID),
    execMainPID: num(service?.ExecMainPID),
    execMainCode: num(service?.ExecMainCode),
    execMainStatus: num(service?.ExecMainStatus),
    activeEnterTimestamp: time(unit.ActiveEnterTimestamp),
    inactiveEnterTimestamp: time(unit.InactiveEnterTimestamp),
    execMainStartTimestamp: time(service?.ExecMainStartTimestamp),
    execMainExitTimestamp: time(service?.ExecMainExitTimestamp),
  });
}
