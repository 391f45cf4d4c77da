// An inline pod's service given sockets by socket activation: each must have a port of the pod to go to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SprocketError } from '../../../src/errors.js';
import { checkPassedSockets } from '../../../src/pod/inline.js';
import { parsePodPlan } from '../../../stage1-nspawn/plan.js';
import { basePlan } from '../stage1/fixture.js';

const plan = (hostSockets: unknown[]) => parsePodPlan({ ...basePlan(), unit: 'lazy.service', invocation: 'b'.repeat(32), hostSockets });
const http = { name: 'http', protocol: 'tcp', podPort: 80, hostPort: 8080 };

test('sockets passed to the launcher need as many ports of the pod; sockets meant for another process do not count', () => {
  const env = (fds: number, pid = 42) => ({ LISTEN_FDS: String(fds), LISTEN_PID: String(pid) });
  assert.doesNotThrow(() => checkPassedSockets(plan([http]), env(1), 42));
  assert.doesNotThrow(() => checkPassedSockets(plan([]), {}, 42));
  assert.doesNotThrow(() => checkPassedSockets(plan([]), env(2, 7), 42));
  assert.throws(() => checkPassedSockets(plan([]), env(1), 42),
    (e: unknown) => e instanceof SprocketError && e.field === '--port' && /lazy\.service was given 1 socket\(s\) \(LISTEN_FDS\) but the pod takes none/.test(e.message));
  assert.throws(() => checkPassedSockets(plan([http]), env(2), 42), /takes 1 \(--port http\)/);
});
