// 64-bit integers read off the bus without long.js: dbus-next reads each
// through a Long and its decimal string (`BigInt(long.toString())`), and a
// unit's Service properties hold dozens of them (limits, timestamps,
// counters): reading a pod's unit state cost tens of milliseconds of CPU
// while its pod boots (docs/performance.md). The same BigInt, read at once.
// Loaded by bus.ts, before any message is read.
import DBusBuffer from 'dbus-next/lib/dbus-buffer.js';

/** The message's byte order as dbus-next keeps it: the header's first byte, 'l' or 'B'. */
const LITTLE_ENDIAN = 'l'.charCodeAt(0);
const readSimpleType = DBusBuffer.prototype.readSimpleType;

DBusBuffer.prototype.readSimpleType = function readSimpleTypeInt64(type: string): unknown {
  if (type !== 't' && type !== 'x') return readSimpleType.call(this, type);
  this.align(3);
  const value = this.endian === LITTLE_ENDIAN ? this.buffer.readBigUInt64LE(this.pos) : this.buffer.readBigUInt64BE(this.pos);
  this.pos += 8;
  return type === 'x' ? BigInt.asIntN(64, value) : value;
};
