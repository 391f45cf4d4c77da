// What the pod commands share: the pod context (state directory, the host's
// systemd over D-Bus, the journal), the image store, durations.
// The library is imported when a command runs, not when it is registered:
// a command loads only what it uses (docs/performance.md).
import { Command } from 'commander';
import { usage } from '../errors.js';
import type { PullPolicy } from '../image/pull-policy.js';
import type { PodEvent } from '../journal/events.js';
import type { PodContext, PodNetworking } from '../pod/context.js';
import { hostSyscalls } from '../syscalls.js';
import { systemdOnDemand } from '../systemd/on-demand.js';
import { globalOptions } from './options.js';

/**
 * Runs `fn` with a pod context. The D-Bus connection is made on the first
 * call to systemd (list and status of exited pods make none) and closed
 * afterwards. The journal module (and zod, which checks each event) is
 * loaded with the first event: list and status mostly write none. Events
 * keep their order and are all written before this returns. `systemdNow`:
 * connect at once, for a command that will start a pod; its events wait
 * until the start was requested (or `fn` is done), so that the journal's
 * native addon loads (dlopen) while systemd starts the pod, not on the way
 * to it (docs/performance.md).
 */
export async function withPods<T>(cmd: Command, fn: (ctx: PodContext) => Promise<T>, opts: { systemdNow?: boolean } = {}): Promise<T> {
  const systemd = systemdOnDemand();
  if (opts.systemdNow) systemd.connectNow();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let events: Promise<void> = opts.systemdNow ? Promise.race([systemd.startRequested, finished]) : Promise.resolve();
  const event = (e: PodEvent) => {
    events = events.then(async () => (await import('../journal/events.js')).writePodEvent(e));
  };
  try {
    return await fn({ stateDir: globalOptions(cmd).dir, systemd, net: podNetworking(cmd), sys: hostSyscalls, event });
  } finally {
    done();
    systemd.close();
    await events;
  }
}

/** The pods' networks (src/net), loaded when first used: list and status never load it. */
function podNetworking(cmd: Command): PodNetworking {
  const g = globalOptions(cmd);
  const self = [process.execPath, process.argv[1]!];
  let loaded: Promise<PodNetworking> | undefined;
  const real = () => (loaded ??= import('../net/host-networking.js').then((m) => m.hostNetworking({ stateDir: g.dir, localConfig: g.localConfig, systemConfig: g.systemConfig, self })));
  return {
    check: async (plan) => (await real()).check(plan),
    checkPorts: async (plan) => (await real()).checkPorts(plan),
    setUp: async (plan) => (await real()).setUp(plan),
    tearDown: async (podDir) => (await real()).tearDown(podDir),
    tearDownCommand: async (uuid) => (await real()).tearDownCommand(uuid),
  };
}

export async function podImages(cmd: Command, insecureOptions?: string, pullPolicy: PullPolicy = 'new') {
  const [{ parseInsecureOptions }, { ImageStore }, { storeImages }] = await Promise.all([
    import('../image/fetch-options.js'), import('../image/store.js'), import('../pod/images.js'),
  ]);
  const g = globalOptions(cmd);
  const store = await ImageStore.open(g.dir);
  return storeImages(store, {
    stateDir: g.dir,
    config: g,
    insecure: parseInsecureOptions(insecureOptions),
    pullPolicy,
    warn: (message) => process.stderr.write(`${message}\n`),
  });
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "30m", "1h30m", "0": milliseconds. */
export function parseDuration(text: string, flag: string): number {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) {
    throw usage(`"${text}" is not a duration (like 30s, 10m, 1h30m)`, { field: flag });
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]!]!, 0);
}
