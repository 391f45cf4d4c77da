// Waiting on a condition in end-to-end tests: polled, with a bound (no bare sleeps).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` every 100 ms until it holds; fails naming `what` after `tries` polls. */
export async function waitFor(what: string, check: () => Promise<boolean>, tries = 150): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}
