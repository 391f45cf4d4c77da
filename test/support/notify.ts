// How an app of a test pod says READY=1 with the pod's own systemd-notify:
// the pod's /usr (this host's) is bound at APP_USR in a notify app's root,
// and the tool is started through the dynamic loader with its library
// directories given explicitly, because the binary's RUNPATH and
// ld.so.cache name host paths that the app's root lacks.
import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { APP_USR } from '../../stage1-nspawn/app-unit.js';

const SYSTEMD_NOTIFY = '/usr/bin/systemd-notify';

/** A host path under /usr as a notify app sees it. */
function inApp(hostPath: string): string {
  if (!hostPath.startsWith('/usr/')) throw new Error(`${hostPath} is outside /usr: a notify app cannot reach it`);
  return APP_USR + hostPath.slice('/usr'.length);
}

/** The shell command, inside a notify app, that sends READY=1 (loader and libraries read from `ldd` on this host). */
export async function notifyReadyCommand(): Promise<string> {
  const { stdout } = await promisify(execFile)('ldd', [SYSTEMD_NOTIFY]);
  // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
  const libs: string[] = [];
  let loader: string | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^\s*(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (!m) continue;
    if (line.includes('=>')) libs.push(inApp(await realpath(m[1]!)));
    else loader = inApp(await realpath(m[1]!));
  }
  if (!loader) throw new Error(`ldd ${SYSTEMD_NOTIFY} named no loader`);
  const libraryPath = [...new Set(libs.map((l) => path.dirname(l)))].join(':');
  return [loader, '--library-path', libraryPath, inApp(SYSTEMD_NOTIFY), '--ready'].join(' ');
}
