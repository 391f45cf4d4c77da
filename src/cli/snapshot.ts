// The entry of the CLI's start-up snapshot (scripts/bundle.mjs): node
// --build-snapshot runs this bundle once at build time, the program and the
// modules that the pod commands load are evaluated then, and the heap is
// saved; `node --snapshot-blob dist/snapshot/sprocket-NODEVERSION.blob --
// ARGS` (packaging/sprocket.sh) starts from that heap and runs main below.
// No module is read or compiled at start-up (docs/performance.md).
import './zod-jitless.js';
import { restoredFrom } from './snapshot-app.js';
import path from 'node:path';
import v8 from 'node:v8';
import { program } from './program.js';
import { reportAndExit } from './exit.js';
// What the pod commands import in their actions (program.ts): evaluated
// into the snapshot. Commands that fetch, import or serve (http, openpgp,
// tar-stream: not allowed or too big in a snapshot) load theirs at run time.
import '../errors.js';
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

v8.startupSnapshot.setDeserializeMainFunction(() => {
  const at = process.execArgv.findIndex((a) => a === '--snapshot-blob' || a.startsWith('--snapshot-blob='));
  const blob = process.execArgv[at]!.startsWith('--snapshot-blob=') ? process.execArgv[at]!.slice('--snapshot-blob='.length) : process.execArgv[at + 1]!;
  restoredFrom(blob);
  // argv as for `node dist/src/cli/main.js ARGS`: the commands that start
  // sprocket again (a pod network's teardown, the metadata service) run that.
  process.argv.splice(1, 0, path.resolve(path.dirname(blob), '../src/cli/main.js'));
  program.parseAsync(process.argv).catch(reportAndExit);
});
