import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import dbus from 'dbus-next';
import DBusBuffer from 'dbus-next/lib/dbus-buffer.js';
import { nodeSocketAddress } from '../../../src/systemd/bus.js';

describe('nodeSocketAddress', () => {
  it('opens unix:path= addresses with Node\'s socket (dbus-next\'s unix:socket=), every entry of a list', () => {
    assert.equal(nodeSocketAddress('unix:path=/run/dbus/system_bus_socket'), 'unix:socket=/run/dbus/system_bus_socket');
    assert.equal(nodeSocketAddress('unix:path=/a,guid=01;tcp:host=h,port=1;unix:path=/b'), 'unix:socket=/a,guid=01;tcp:host=h,port=1;unix:socket=/b');
  });
  it('leaves other transports and a path= inside another entry as they are', () => {
    assert.equal(nodeSocketAddress('unix:abstract=/tmp/dbus-x'), 'unix:abstract=/tmp/dbus-x');
    assert.equal(nodeSocketAddress('unixexec:path=/usr/bin/x'), 'unixexec:path=/usr/bin/x');
  });
});

// dbus-next's own writer and reader of whole messages.
const { marshallMessage } = createRequire(import.meta.url)('dbus-next/lib/marshall-compat.js') as { marshallMessage: (m: dbus.Message) => [Buffer] };
const { unmarshall } = createRequire(import.meta.url)('dbus-next/lib/message.js') as { unmarshall: (b: Buffer) => { body: unknown[] } };

describe('64-bit integers off the bus (src/systemd/int64.ts)', () => {
  // What dbus-next reads, patched when bus.ts loads: the exact value as a BigInt, aligned to 8 bytes.
  const read = (endian: 'l' | 'B', type: 't' | 'x', value: bigint) => {
    const buffer = Buffer.alloc(16);
    if (endian === 'l') buffer.writeBigUInt64LE(BigInt.asUintN(64, value), 8);
    else buffer.writeBigUInt64BE(BigInt.asUintN(64, value), 8);
    const reader = Object.assign(Object.create(DBusBuffer.prototype), { buffer, startPos: 0, pos: 4, endian: endian.charCodeAt(0), options: { ayBuffer: true } });
    return [reader.readSimpleType(type), reader.pos];
  };
  it('reads unsigned and signed values exactly, in either byte order', () => {
    for (const endian of ['l', 'B'] as const) {
      for (const v of [0n, 1n, 2n ** 53n + 1n, 2n ** 64n - 1n]) assert.deepEqual(read(endian, 't', v), [v, 16]);
      for (const v of [0n, -1n, -(2n ** 63n), 2n ** 63n - 1n]) assert.deepEqual(read(endian, 'x', v), [v, 16]);
    }
  });
  it('reads what dbus-next wrote, in a whole message', () => {
    const body = [2n ** 64n - 1n, -(2n ** 63n) + 1n, 1234567890123n, 'text', 7];
    const message = new dbus.Message({ path: '/a', interface: 'a.b', member: 'C', signature: 'txtsu', body });
    message.serial = 1;
    const [data] = marshallMessage(message);
    assert.deepEqual(unmarshall(data).body, body);
  });
  it('leaves the other types to dbus-next', () => {
    const buffer = Buffer.from([7, 0, 0, 0]);
    const reader = Object.assign(Object.create(DBusBuffer.prototype), { buffer, startPos: 0, pos: 0, endian: 'l'.charCodeAt(0), options: { ayBuffer: true } });
    assert.equal(reader.readSimpleType('u'), 7);
  });
});
