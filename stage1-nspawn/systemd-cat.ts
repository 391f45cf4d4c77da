// The pod's /usr (the host's) as an app reaches it: bound read-only at
// APP_USR in the root of a notify app, whose image may lack systemd-notify
// (docs/isolators.md, readiness). Such a tool is started through the dynamic
// loader with the library directories given explicitly: the binary's
// RUNPATH and ld.so.cache name host paths the app's root lacks.
// findSystemdCat gives that loader and those directories (and systemd-cat's
// path, which the e2e tests turn into systemd-notify's).
import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';

/** Where the pod's /usr appears inside a notify app's root. */
export const APP_USR = '/.sprocket/usr';
const SYSTEMD_CAT = '/usr/bin/systemd-cat';

/** systemd-cat as an app reaches it: paths inside the app's root. */
export const SystemdCat = z.object({ loader: z.string(), libraryPath: z.array(z.string()), binary: z.string() });
export type SystemdCat = z.infer<typeof SystemdCat>;

/** The path of a host file under /usr as an app sees it, or undefined outside /usr. */
const inApp = (hostPath: string) => (hostPath.startsWith('/usr/') ? APP_USR + hostPath.slice('/usr'.length) : undefined);

/**
 * Reads systemd-cat's loader and libraries from `ldd` on this host (the pod
 * binds this host's /usr). Undefined when some of them live outside /usr.
 */
export async function findSystemdCat(): Promise<SystemdCat | undefined> {
  const { stdout } = await promisify(execFile)('ldd', [SYSTEMD_CAT]);
  // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
  const libs: string[] = [];
  let loader: string | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^\s*(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (!m) continue;
    if (line.includes('=>')) libs.push(await realpath(m[1]!));
    else loader = await realpath(m[1]!);
  }
  const inside = [loader, ...libs].map((p) => (p ? inApp(p) : undefined));
  if (inside.some((p) => p === undefined)) return undefined;
  return {
    loader: inside[0]!,
    libraryPath: [...new Set(inside.slice(1).map((p) => path.dirname(p!)))],
    binary: inApp(SYSTEMD_CAT)!,
  };
}
