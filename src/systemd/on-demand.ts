// The host's systemd, connected on the first call: commands that end up
// asking systemd nothing (list of exited pods, status of one) neither load
// dbus-next nor open the bus.
import type { Systemd } from './systemd.js';

export function systemdOnDemand(connect: () => Promise<Systemd> = async () => (await import('./manager.js')).connectSystemd()): Systemd {
  let connection: Promise<Systemd> | undefined;
  const systemd = () => (connection ??= connect());
  return {
    startTransientUnit: async (...a) => (await systemd()).startTransientUnit(...a),
    startUnit: async (...a) => (await systemd()).startUnit(...a),
    stopUnit: async (...a) => (await systemd()).stopUnit(...a),
    killUnit: async (...a) => (await systemd()).killUnit(...a),
    resetFailedUnit: async (...a) => (await systemd()).resetFailedUnit(...a),
    getUnitState: async (...a) => (await systemd()).getUnitState(...a),
    getUnitProperties: async (...a) => (await systemd()).getUnitProperties(...a),
    close: () => {
      connection?.then((s) => s.close(), () => {});
    },
  };
}
