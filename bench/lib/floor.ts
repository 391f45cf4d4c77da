// The floors sprocket's pod start is compared with: systemd-nspawn of a
// minimal root, with the host's /usr, as a transient unit of the test host's
// systemd (as a pod is). --boot is test/host/tiny-pod (the recipe stage1 is
// built on: the inner systemd runs one unit that echoes a line); --as-pid2
// runs the echo directly under nspawn's stub init.
import fs from 'node:fs/promises';
import path from 'node:path';
import { CHECKOUT } from '../../test/support/host.js';
import { runCommand } from '../../test/support/command.js';

const TINY_POD = path.join(CHECKOUT, 'test/host/tiny-pod');
const WORK = '/var/lib/sprocket/bench-floor';

/** systemd-run of argv as a unit like a pod's host unit; resolves once the unit is started. */
async function startUnit(unit: string, argv: string[], env: string[] = []): Promise<void> {
  const r = await runCommand('systemd-run', [
    `--unit=${unit}`, '--collect', '-p', 'Delegate=yes', '-p', 'Slice=machine.slice', '-p', 'KillMode=mixed',
    ...env.map((e) => `--setenv=${e}`), '--', ...argv,
  ]);
  if (r.code !== 0) throw new Error(`systemd-run ${unit} exited ${r.code}: ${r.stderr}`);
}

/** nspawn --boot of a minimal systemd root whose only unit prints `line` (idle: and then sleeps, the pod stays up). */
export async function startBootFloor(tag: string, line: string, idle = false): Promise<string> {
  await fs.mkdir(WORK, { recursive: true });
  const unit = `bench-boot-${tag}.service`;
  await startUnit(unit, [TINY_POD, path.join(WORK, `boot-${tag}`), `boot-${tag}`, line, ...(idle ? ['idle'] : [])]);
  return unit;
}

/** The cgroup of the floor's app below its unit's: tiny-app.service of the pod's systemd. */
export const FLOOR_APP_CGROUP = 'payload/system.slice/tiny-app.service';

/** nspawn --as-pid2 of the same minimal root, running `echo line`. */
export async function startPid2Floor(tag: string, line: string): Promise<string> {
  const root = path.join(WORK, `pid2-${tag}`);
  for (const d of ['usr', 'etc', 'proc', 'sys', 'dev', 'run', 'tmp']) await fs.mkdir(path.join(root, d), { recursive: true });
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) await fs.symlink(`usr/${d}`, path.join(root, d));
  await fs.writeFile(path.join(root, 'etc/os-release'), 'ID=sprocket-bench\n');
  const unit = `bench-pid2-${tag}.service`;
  await startUnit(unit, [
    'systemd-nspawn', '--quiet', '--keep-unit', '--register=yes', `--machine=pid2-${tag}`, '-D', root,
    '--bind-ro=/usr', '--console=pipe', '--as-pid2', '/bin/echo', line,
  ], ['SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1']);
  return unit;
}

/** Removes the roots of floors whose units are gone. */
export const removeFloorRoots = () => fs.rm(WORK, { recursive: true, force: true });
