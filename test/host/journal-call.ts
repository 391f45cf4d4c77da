// Drives src/journal inside a test host for e2e tests:
//   node dist/test/host/journal-call.js write EVENT_JSON
//   node dist/test/host/journal-call.js read QUERY_JSON        prints entries as JSON lines
//   node dist/test/host/journal-call.js follow QUERY_JSON EVENT_JSON
//        follows the query, writes EVENT once following, prints the first entry that arrives
import { writePodEvent } from '../../src/journal/events.js';
import { journalEntries, readJournal } from '../../src/journal/read.js';

const [op, a, b] = process.argv.slice(2);
const arg = JSON.parse(a ?? 'null');
switch (op) {
  case 'write':
    writePodEvent(arg);
    break;
  case 'read':
    for (const e of await readJournal(arg)) process.stdout.write(`${JSON.stringify(e)}\n`);
    break;
  case 'follow': {
    // -n 0: only what is written from now on.
    const entries = journalEntries({ ...arg, lines: undefined, since: 'now' }, { follow: true });
    const first = entries.next();
    setTimeout(() => writePodEvent(JSON.parse(b!)), 300);
    process.stdout.write(`${JSON.stringify((await first).value)}\n`);
    await entries.return(undefined);
    break;
  }
  default:
    throw new Error(`unknown operation ${op}`);
}
