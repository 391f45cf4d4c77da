// The Debian package of this checkout (packaging/build-deb), for end-to-end
// tests that install it in a test host.
import assert from 'node:assert/strict';
import path from 'node:path';
import { runCommand } from './command.js';
import { CHECKOUT, type Host } from './host.js';

/** Builds the .deb from dist/ as the suite built it into `out` (a directory of the test's own); returns its path. */
export async function buildPackage(out: string): Promise<string> {
  const build = await runCommand(path.join(CHECKOUT, 'packaging/build-deb'), ['--prebuilt', '--out', out]);
  assert.equal(build.code, 0, build.stderr);
  return build.stdout.trim();
}

/**
 * Lets the host's package scripts start services: this machine's
 * policy-rc.d forbids it (its PID 1 is not systemd); an operator's host has
 * none. Removed from the host's overlay only.
 */
export const allowServiceStarts = (host: Host) => host.run(['rm', '-f', '/usr/sbin/policy-rc.d']);
