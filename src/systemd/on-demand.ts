// The host's systemd, connected on the first call: commands that end up
// asking systemd nothing (list of exited pods, status of one) neither load
// dbus-next nor open the bus.
import type { Systemd } from './systemd.js';

export function systemdOnDemand(connect: () => Promise<Systemd> = async () => (await import('./manager.js')).connectSystemd()): Systemd & { connectNow(): void; startRequested: Promise<void> } {
  let connection: Promise<Systemd> | undefined;
  const systemd = () => (connection ??= connect());
  let requested!: () => void;
  const startRequested = new Promise<void>((resolve) => (requested = resolve));
  return {
    /** Resolves once the first startTransientUnit was sent (its reply not awaited), or failed before. */
    startRequested,
    /**
     * Connects now, without waiting, for a command that will surely call
     * systemd (run): the connection is made while the command does its
     * other work. A failure surfaces at the first call.
     */
    connectNow: () => {
      systemd().catch(() => {});
    },
    startTransientUnit: async (...a) => {
      const connected = await systemd().catch((e: unknown) => {
        requested();
        throw e;
      });
      // The request is written as the call is made, or once the connection's subscription is done if it is not yet (run's prepare mostly gives it the time); its reply is awaited by the caller.
      const reply = connected.startTransientUnit(...a);
      requested();
      return reply;
    },
    startUnit: async (...a) => (await systemd()).startUnit(...a),
    stopUnit: async (...a) => (await systemd()).stopUnit(...a),
    killUnit: async (...a) => (await systemd()).killUnit(...a),
    resetFailedUnit: async (...a) => (await systemd()).resetFailedUnit(...a),
    getUnitState: async (...a) => (await systemd()).getUnitState(...a),
    getActiveState: async (...a) => (await systemd()).getActiveState(...a),
    getUnitProperties: async (...a) => (await systemd()).getUnitProperties(...a),
    close: () => {
      connection?.then((s) => s.close(), () => {});
    },
  };
}
