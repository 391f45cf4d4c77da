// A booted test host (test/host/sprocket-host) for end-to-end tests: systemd
// as PID 1 in systemd-nspawn over an overlay of this machine's root, with
// this checkout bound read-only at the same path. One host per test file:
// boot it in before(), down() it in after().
import { spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { runCommand, type CommandResult } from './command.js';

/** The checkout under test (its dist/ is what runs inside the host). */
export const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
export const HOST_SCRIPT = path.join(CHECKOUT, 'test/host/sprocket-host');
const STATE_ROOT = process.env.SPROCKET_HOST_STATE ?? '/run/sprocket-test-hosts';

export type ExecResult = CommandResult;

export interface ExecOptions {
  /** Written to the command's stdin. */
  input?: string | Buffer;
  /** Environment of the command (systemd-run -E). */
  env?: Record<string, string>;
  /** Properties of the transient service it runs as (systemd-run -p). */
  properties?: string[];
  /** Unit name of that service, to find its logs (systemd-run --unit). */
  unit?: string;
}

export interface Host {
  /** Machine name of the host (also its hostname). */
  readonly name: string;
  /** PID, on this machine, of the host's systemd. */
  readonly leader: number;
  /** Directory on this machine that is /var/lib/sprocket inside the host. */
  readonly stateDir: string;
  /** Runs argv inside the host as a transient service; argv arrives unchanged ($ included). */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Like exec, but rejects unless the command exits 0. */
  run(argv: string[], opts?: ExecOptions): Promise<string>;
  /** Powers the host off cleanly and boots it again over the same root and state (test/host/sprocket-host reboot). */
  reboot(): Promise<void>;
  /** Powers the host off and removes every trace of it. Idempotent. */
  down(): Promise<void>;
}

const script = (args: string[], input?: string | Buffer) => runCommand(HOST_SCRIPT, args, { input });

/**
 * Boots a test host. `base` names it; the PID of this process is appended so
 * that runs of the same test file by different people do not collide.
 */
export async function bootHost(base: string): Promise<Host> {
  const name = `${base}-${process.pid}`;
  let downed = false;
  // Safety net if after() never runs (the runner is ended early).
  const onExit = () => {
    if (!downed) spawnSync(HOST_SCRIPT, ['down', name], { stdio: 'ignore' });
  };
  process.once('exit', onExit);
  const boot = await script(['boot', name]);
  if (boot.code !== 0) {
    process.removeListener('exit', onExit);
    throw new Error(`test host ${name} did not boot (exit ${boot.code}):\n${boot.stderr}`);
  }
  const exec = (argv: string[], opts: ExecOptions = {}) => {
    const flags = [
      ...Object.entries(opts.env ?? {}).map(([k, v]) => `--setenv=${k}=${v}`),
      ...(opts.properties ?? []).map((p) => `--property=${p}`),
      ...(opts.unit ? [`--unit=${opts.unit}`] : []),
    ];
    return script(['exec', name, ...flags, '--', ...argv], opts.input);
  };
  let leader = Number(boot.stdout.trim());
  return {
    name,
    get leader() {
      return leader;
    },
    stateDir: path.join(STATE_ROOT, name, 'var-lib-sprocket'),
    exec,
    async run(argv, opts) {
      const r = await exec(argv, opts);
      if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code} in test host ${name}:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    async reboot() {
      const r = await script(['reboot', name]);
      if (r.code !== 0) throw new Error(`test host ${name} did not reboot (exit ${r.code}):\n${r.stderr}`);
      leader = Number(r.stdout.trim());
    },
    async down() {
      if (downed) return;
      const r = await script(['down', name]);
      if (r.code !== 0) throw new Error(`test host ${name} did not go down cleanly:\n${r.stderr}`);
      downed = true;
      process.removeListener('exit', onExit);
    },
  };
}

/**
 * Boots a test host before the tests of the enclosing describe() and takes it
 * down after them (also when they fail). Returns a getter for the host.
 */
export function useHost(base: string): () => Host {
  let host: Host | undefined;
  before(async () => {
    host = await bootHost(base);
  });
  after(async () => {
    await host?.down();
  });
  return () => {
    if (!host) throw new Error(`test host ${base} did not boot`);
    return host;
  };
}
