// The connection to a systemd over D-Bus. dbus-next is used only inside
// src/systemd (it is barely maintained and could be replaced): what leaves
// this directory is plain TypeScript values.
import { existsSync } from 'node:fs';
import dbus from 'dbus-next';
import './int64.js';
import { SprocketError } from '../errors.js';

export type MessageBus = dbus.MessageBus;

export const SYSTEM_BUS_SOCKET = '/run/dbus/system_bus_socket';

/** A property value read back from systemd, without D-Bus wrappers. */
export type PlainValue = string | number | bigint | boolean | PlainValue[];

const UINT64_MAX = 2n ** 64n - 1n;

/**
 * A D-Bus address with its unix:path= entries as dbus-next's unix:socket=:
 * dbus-next opens unix:path= through usocket, a native addon whose load
 * (about 20 ms) was on the way of every pod start; sprocket passes no file
 * descriptors over D-Bus, so Node's own socket serves.
 */
export const nodeSocketAddress = (address: string) => address.replaceAll(/(^|;)unix:path=/g, '$1unix:socket=');

/** Opens the system bus, or fails with a hint when there is none. */
export async function openSystemBus(): Promise<MessageBus> {
  if (!process.env.DBUS_SYSTEM_BUS_ADDRESS && !existsSync(SYSTEM_BUS_SOCKET)) {
    throw new SprocketError('runtime', `no system D-Bus at ${SYSTEM_BUS_SOCKET}`, {
      hint: 'sprocket needs a host that runs systemd as PID 1 and dbus',
    });
  }
  // sessionBus() is dbus-next's client for a given address.
  const bus = dbus.sessionBus({ busAddress: nodeSocketAddress(process.env.DBUS_SYSTEM_BUS_ADDRESS || `unix:path=${SYSTEM_BUS_SOCKET}`) });
  // dbus-next reports a lost connection as an event; without a listener it
  // would end the process. Calls in flight fail on their own.
  bus.on('error', () => {});
  return bus;
}

/** One method call: where, what, and the signature of its arguments. */
export interface MethodCall {
  destination: string;
  path: string;
  iface: string;
  member: string;
  signature: string;
  body: unknown[];
}

/** Calls a method; resolves to its first return value (undefined for none). */
export async function callMethod(bus: MessageBus, call: MethodCall): Promise<unknown> {
  const { iface, signature, ...rest } = call;
  const reply = await bus.call(new dbus.Message({ ...rest, interface: iface, ...(signature ? { signature } : {}) }));
  return reply?.body[0];
}

/**
 * Calls `handler` with the arguments of every signal that matches, from the
 * moment the returned promise resolves (the match rule is then on the bus).
 */
export async function onSignal(bus: MessageBus, match: { sender: string; path: string; iface: string; member: string }, handler: (...args: never[]) => void): Promise<void> {
  bus.on('message', (msg: dbus.Message) => {
    if (msg.type === dbus.MessageType.SIGNAL && msg.path === match.path && msg.interface === match.iface && msg.member === match.member) {
      handler(...(msg.body as never[]));
    }
  });
  await callMethod(bus, {
    destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', iface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's',
    body: [`type='signal',sender='${match.sender}',path='${match.path}',interface='${match.iface}',member='${match.member}'`],
  });
}

/** A variant for a property of the given D-Bus signature. */
export const variant = (signature: string, value: unknown) => new dbus.Variant(signature, value);

/**
 * Unwraps what dbus-next returns: variants, byte arrays (as strings) and
 * 64-bit integers (BigInt: a number when it fits, Infinity for systemd's
 * "infinity", UINT64_MAX).
 */
export function plain(value: unknown): PlainValue {
  if (value instanceof dbus.Variant) return plain(value.value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'bigint') {
    if (value === UINT64_MAX) return Infinity;
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new SprocketError('runtime', `unexpected D-Bus value of type ${typeof value}`);
}

/** The D-Bus error name of a failed call, if it was one. */
export const busErrorName = (err: unknown): string | undefined => (err instanceof dbus.DBusError ? err.type : undefined);

/** Turns a failed call into a SprocketError about `unit`. */
export function busFailure(what: string, unit: string, err: unknown): SprocketError {
  if (err instanceof SprocketError) return err;
  const name = busErrorName(err);
  const text = err instanceof dbus.DBusError ? err.text : err instanceof Error ? err.message : String(err);
  const kind = name === 'org.freedesktop.systemd1.UnitExists' ? 'conflict' : name === 'org.freedesktop.systemd1.NoSuchUnit' ? 'not-found' : 'runtime';
  return new SprocketError(kind, `${what}: ${text}`, { file: unit }, { cause: err });
}
