// Run inside a test host by test/e2e/stage1.test.ts: writes the stage1 root
// of the plan in file argv[2] and starts its host unit through src/systemd,
// as src/pod will. Exits non-zero with the error.
import { readFile } from 'node:fs/promises';
import { connectSystemd } from '../../src/systemd/manager.js';
import { haltUnit, hostUnitProperties } from '../../stage1-nspawn/host-unit.js';
import { parsePodPlan } from '../../stage1-nspawn/plan.js';
import { writeStage1Root } from '../../stage1-nspawn/stage1-root.js';
import { writePodFiles } from '../../src/net/pod-files.js';

const file = process.argv[2]!;
const plan = parsePodPlan(JSON.parse(await readFile(file, 'utf8')), file);
await writeStage1Root(plan);
// The pod's hosts and resolv.conf, bound into every app: what src/net does for a pod of the host's network or none.
await writePodFiles(plan, undefined);
const systemd = await connectSystemd();
try {
  await systemd.startTransientUnit(plan.unit, hostUnitProperties(plan), [haltUnit(plan)]);
} finally {
  systemd.close();
}
