// The pod's device policy. nspawn installs its device list only on a scope
// it creates itself; with --keep-unit (every pod: its own host unit, or the
// operator's service) the unit must carry it, as systemd-nspawn@.service
// does. Without it an app with CAP_MKNOD (appc's defaults) makes a kmsg or
// loop device node and uses it: the host's kernel log, its block devices.
import type { UnitProperties } from '../src/systemd/unit-properties.js';

/** Only these devices, besides those systemd always allows with a closed policy (the same: null, zero, full, random, urandom, tty, ptmx). */
export const POD_DEVICE_POLICY = 'closed';

/**
 * nspawn's own list (systemd 252, nspawn-register.c): the API devices it
 * creates in the pod's /dev (rwm), the tun device, and the ptys of the pod's
 * console and terminals (rw: used, never created).
 */
export const POD_DEVICES: readonly [device: string, access: string][] = [
  ['/dev/null', 'rwm'], ['/dev/zero', 'rwm'], ['/dev/full', 'rwm'], ['/dev/random', 'rwm'], ['/dev/urandom', 'rwm'],
  ['/dev/tty', 'rwm'], ['/dev/net/tun', 'rwm'], ['char-pts', 'rw'],
];

/** The device policy as properties of the pod's host unit. */
export const podDeviceProperties = (): UnitProperties => ({ DevicePolicy: POD_DEVICE_POLICY, DeviceAllow: POD_DEVICES.map(([d, a]) => [d, a]) });

/** The same as [Service] lines of an inline pod's service. */
export const podDeviceLines = (): string[] => [`DevicePolicy=${POD_DEVICE_POLICY}`, ...POD_DEVICES.map(([d, a]) => `DeviceAllow=${d} ${a}`)];
