// A pod start's conversation with systemd, held once with a systemd in
// memory: the start-up snapshot's warm-up (src/cli/snapshot-warm.ts) runs
// the D-Bus client (manager.ts over dbus-next: its message writer, reader
// and bus) while the blob is made, so that its code is compiled there and
// not on every start (docs/performance.md). Each message goes through
// dbus-next's own writer and reader, as on a socket; no socket or bus is
// opened, nothing is kept.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import dbus from 'dbus-next';
import MessageBus from 'dbus-next/lib/bus.js';
import { marshallMessage, messageToJsFmt } from 'dbus-next/lib/marshall-compat.js';
import { unmarshalMessages } from 'dbus-next/lib/message.js';
import { systemdOver } from './manager.js';
import type { AuxUnit } from './systemd.js';
import type { UnitProperties } from './unit-properties.js';
import type { UnitState } from './unit-state.js';

const MANAGER_PATH = '/org/freedesktop/systemd1';
const JOB_PATH = `${MANAGER_PATH}/job/1`;
const UNIT_PATH = `${MANAGER_PATH}/unit/rehearsal`;

/** Properties as systemd's GetAll returns them: one of each type a unit's state is read from. */
const UNIT_PROPERTIES = {
  Id: new dbus.Variant('s', 'rehearsal.service'),
  LoadState: new dbus.Variant('s', 'loaded'),
  ActiveState: new dbus.Variant('s', 'active'),
  SubState: new dbus.Variant('s', 'running'),
  InvocationID: new dbus.Variant('ay', Buffer.alloc(16, 1)),
  ActiveEnterTimestamp: new dbus.Variant('t', 1n),
  InactiveEnterTimestamp: new dbus.Variant('t', 0n),
  Result: new dbus.Variant('s', 'success'),
  MainPID: new dbus.Variant('u', 1),
  ExecMainPID: new dbus.Variant('u', 1),
  ExecMainCode: new dbus.Variant('i', 0),
  ExecMainStatus: new dbus.Variant('i', 0),
  ExecMainStartTimestamp: new dbus.Variant('t', 1n),
  ExecMainExitTimestamp: new dbus.Variant('t', 0n),
  MemoryLimit: new dbus.Variant('t', 2n ** 64n - 1n),
  CPUQuotaPerSecUSec: new dbus.Variant('x', -1n),
  Wants: new dbus.Variant('as', ['rehearsal.target']),
  Delegate: new dbus.Variant('b', true),
  ExecStart: new dbus.Variant('a(sasbttttuii)', [['/bin/true', ['/bin/true'], false, 0n, 0n, 0n, 0n, 0, 0, 0]]),
};

/** What the systemd in memory answers: a unit named `known` exists (active), other units do not. */
function answer(call: dbus.Message, known: string): dbus.Message[] {
  const ret = (signature = '', body: unknown[] = []) => dbus.Message.newMethodReturn(call, signature, body);
  const job = () => [ret('o', [JOB_PATH]), dbus.Message.newSignal(MANAGER_PATH, 'org.freedesktop.systemd1.Manager', 'JobRemoved', 'uoss', [1, JOB_PATH, call.body[0], 'done'])];
  switch (call.member) {
    case 'Hello':
      return [ret('s', [':1.1'])];
    case 'StartTransientUnit':
    case 'StartUnit':
      return call.body[0] === known ? job() : [dbus.Message.newError(call as never, 'org.freedesktop.systemd1.NoSuchUnit', `Unit ${call.body[0]} not found.`)];
    case 'GetUnit':
      return call.body[0] === known ? [ret('o', [UNIT_PATH])] : [dbus.Message.newError(call as never, 'org.freedesktop.systemd1.NoSuchUnit', `Unit ${call.body[0]} not loaded.`)];
    case 'Get':
      return [ret('v', [UNIT_PROPERTIES.ActiveState])];
    case 'GetAll':
      return [ret('a{sv}', [UNIT_PROPERTIES])];
    default:
      return [ret()];
  }
}

/** A connection as dbus-next's (lib/connection.js) after its handshake, whose peer is the systemd in memory. */
class MemoryConnection extends EventEmitter {
  readonly stream = { end: () => undefined };
  /** From systemd to the client, and back. */
  private readonly incoming = new PassThrough();
  private readonly outgoing = new PassThrough();
  private serial = 1;
  /** The calls systemd got: member and first argument. */
  readonly calls: [string, unknown][] = [];

  constructor(known: string) {
    super();
    const read = (stream: PassThrough, onMessage: (msg: dbus.Message) => void) =>
      unmarshalMessages(stream, (raw) => onMessage(new dbus.Message(messageToJsFmt(raw))), {});
    read(this.incoming, (msg) => this.emit('message', msg));
    read(this.outgoing, (call) => {
      this.calls.push([call.member, call.body[0]]);
      for (const reply of answer(call, known)) {
        reply.serial = this.serial++;
        this.incoming.write(marshallMessage(reply)[0]);
      }
    });
  }

  message(msg: dbus.Message): void {
    this.outgoing.write(marshallMessage(msg)[0]);
  }
}

/**
 * The calls of `run -d` on the way to its pod's start and after it: the
 * subscription, a unit that is not there (the metadata service's socket on
 * a host without it), the transient unit started with `properties` and
 * `aux` and its job's end, its state read back. Returns the calls systemd
 * got and the state read.
 */
export async function rehearsePodStart(unit: string, properties: UnitProperties, aux: AuxUnit[]): Promise<{ calls: [string, unknown][]; state: UnitState | null }> {
  const connection = new MemoryConnection(unit);
  const systemd = systemdOver(new MessageBus(connection));
  try {
    await systemd.getActiveState('rehearsal-absent.socket');
    await systemd.startTransientUnit(unit, properties, aux);
    await systemd.getActiveState(unit);
    return { calls: connection.calls, state: await systemd.getUnitState(unit) };
  } finally {
    systemd.close();
  }
}
