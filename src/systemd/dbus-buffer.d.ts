// dbus-next's message reader (no types of its own), patched by int64.ts.
declare module 'dbus-next/lib/dbus-buffer.js' {
  interface DBusBuffer {
    buffer: Buffer;
    pos: number;
    endian: number;
    align(power: number): void;
    readSimpleType(type: string): unknown;
  }
  const DBusBuffer: { prototype: DBusBuffer };
  export default DBusBuffer;
}
