// The entry of the CLI's start-up snapshot (scripts/bundle.mjs): node
// --build-snapshot runs this bundle once (packaging/make-snapshot), the
// program and the modules that the pod commands load are evaluated then, and
// the heap is saved; `node --snapshot-blob BLOB -- APP/dist/src/cli/main.js
// ARGS` (packaging/sprocket.sh) starts from that heap and runs main below,
// with argv as the bundle's own `node APP/dist/src/cli/main.js ARGS` has it.
// No module is read or compiled at start-up (docs/performance.md).
import './zod-jitless.js';
import { restoredFor } from './snapshot-app.js';
import path from 'node:path';
import v8 from 'node:v8';
import { EXIT_FAILURE } from '../errors.js';
import { program } from './program.js';
import { runCli } from './exit.js';
// What the pod commands import in their actions (program.ts): evaluated
// into the snapshot. Commands that fetch, import or serve (http, openpgp,
// tar-stream: not allowed or too big in a snapshot) load theirs at run time.
import './run-args.js';
import './pod-launch.js';
import '../image/fetch-options.js';
import '../image/store.js';
import '../journal/events.js';
import '../net/host-networking.js';
import '../net/request.js';
import '../pod/attach.js';
import '../pod/find.js';
import '../pod/gc.js';
import '../pod/images.js';
import '../pod/list.js';
import '../pod/ready.js';
import '../pod/rm.js';
import '../pod/run.js';
import '../pod/state-schema.js';
import '../pod/status.js';
import '../pod/stop.js';
import '../systemd/manager.js';
import { warmUpRun } from './snapshot-warm.js';

// Node makes the blob once this is done (the event loop is empty); a
// failure fails the build.
warmUpRun().catch((e: unknown) => {
  process.stderr.write(`sprocket: the snapshot's warm-up failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});

v8.startupSnapshot.setDeserializeMainFunction(() => {
  // The app's entry names where it is installed (the blob may be elsewhere).
  const entry = process.argv[1] ?? '';
  if (!path.isAbsolute(entry) || path.basename(entry) !== 'main.js') {
    process.stderr.write(`sprocket: the snapshot runs as node --snapshot-blob BLOB -- APP/dist/src/cli/main.js ARGS (packaging/sprocket.sh), not with ${JSON.stringify(entry)}\n`);
    process.exit(EXIT_FAILURE);
  }
  restoredFor(entry);
  runCli(program);
});
