// Test-only (docs/testing.md): with SPROCKET_TEST_KILL_AT=<step>, the
// command SIGKILLs itself when it reaches that named step, so that an e2e
// test can prove that kill -9 at any step loses nothing. Steps are named
// <operation>:<what is done>, like prepare:manifest-written.

/** Dies at once (SIGKILL, no cleanup) when SPROCKET_TEST_KILL_AT names `step`. */
export function killPoint(step: string): void {
  if (process.env.SPROCKET_TEST_KILL_AT === step) process.kill(process.pid, 'SIGKILL');
}
