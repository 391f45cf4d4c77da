// dbus-next's connection internals (no types of its own), used by
// rehearsal.ts to pass messages through its writer and reader without a socket.
declare module 'dbus-next/lib/bus.js' {
  import type dbus from 'dbus-next';
  const MessageBus: new (connection: unknown) => dbus.MessageBus;
  export default MessageBus;
}
declare module 'dbus-next/lib/marshall-compat.js' {
  import type { Message } from 'dbus-next';
  export function marshallMessage(msg: Message): [Buffer, number[]];
  export function messageToJsFmt(raw: unknown): ConstructorParameters<typeof Message>[0];
}
declare module 'dbus-next/lib/message.js' {
  import type { Readable } from 'node:stream';
  export function unmarshalMessages(stream: Readable, onMessage: (raw: unknown) => void, opts: object): void;
}
