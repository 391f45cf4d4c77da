// "runs it on demand if the unit is not installed": before a registered pod
// starts, the metadata service must be reachable. The installed socket unit
// is preferred (systemd starts the service at the first request); without
// it, sprocket starts the service itself as a transient unit.
import net from 'node:net';
import { SprocketError } from '../errors.js';
import type { Systemd } from '../systemd/systemd.js';
import type { UnitProperties } from '../systemd/unit-properties.js';
import { METADATA_HOST, METADATA_PORT } from './register.js';

export const METADATA_SOCKET_UNIT = 'sprocket-metadata.socket';
export const METADATA_SERVICE_UNIT = 'sprocket-metadata.service';

export interface EnsureOptions {
  /** The state directory the service reads (the CLI's --dir). */
  stateDir: string;
  /** How to run sprocket: node and the CLI script of this process by default. */
  command?: string[];
  /** Where the service must answer before a pod may start. */
  probe?: { host: string; port: number };
  timeoutMs?: number;
}

const RUNNING = new Set(['active', 'activating', 'reloading']);

/** Properties of the transient sprocket-metadata.service. */
export function onDemandServiceProperties(stateDir: string, command: string[]): UnitProperties {
  const argv = [...command, '--dir', stateDir, 'metadata-service'];
  return {
    Description: 'sprocket appc metadata service (started on demand)',
    Type: 'exec',
    ExecStart: [{ path: argv[0]!, argv }],
    Restart: 'on-failure',
    CollectMode: 'inactive-or-failed',
  };
}

/** Resolves once something accepts connections at `probe`; throws after `timeoutMs`. */
export async function waitUntilListening(probe: { host: string; port: number }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(probe, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) {
      throw new SprocketError('runtime', `the metadata service does not answer at ${probe.host}:${probe.port}`, {
        file: METADATA_SERVICE_UNIT,
        hint: `see: journalctl -u ${METADATA_SERVICE_UNIT}; or run pods with --mds-register=false`,
      });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Makes sure the metadata service is reachable: the socket unit when it is
 * installed (started if need be), else a transient sprocket-metadata.service.
 * Returns which one serves. Safe to call from concurrent pod starts.
 */
export async function ensureMetadataService(systemd: Systemd, opts: EnsureOptions): Promise<'socket' | 'service'> {
  const probe = opts.probe ?? { host: METADATA_HOST, port: METADATA_PORT };
  const timeoutMs = opts.timeoutMs ?? 5000;
  if ((await systemd.getActiveState(METADATA_SOCKET_UNIT)) === 'active') return 'socket';
  try {
    await systemd.startUnit(METADATA_SOCKET_UNIT);
    return 'socket';
  } catch (e) {
    if (!(e instanceof SprocketError && e.kind === 'not-found')) throw e;
  }
  const service = await systemd.getActiveState(METADATA_SERVICE_UNIT);
  if (service === null || !RUNNING.has(service)) {
    if (service !== null) await systemd.resetFailedUnit(METADATA_SERVICE_UNIT);
    const command = opts.command ?? [process.execPath, process.argv[1]!];
    try {
      await systemd.startTransientUnit(METADATA_SERVICE_UNIT, onDemandServiceProperties(opts.stateDir, command));
    } catch (e) {
      // Another pod start got there first.
      if (!(e instanceof SprocketError && e.kind === 'conflict')) throw e;
    }
  }
  await waitUntilListening(probe, timeoutMs);
  return 'service';
}
