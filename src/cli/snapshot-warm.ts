// What every `run` did for the first time in its process, done once while
// the start-up snapshot is made (snapshot.ts) on made-up values: a command
// line, images and their trees' files in memory, the host's isolator support,
// the D-Bus conversation with a systemd in memory (src/systemd/rehearsal.ts).
// V8 keeps in the blob the bytecode of every function that ran, and zod's
// schemas keep what they build on their first parse: a start restored from
// the blob no longer compiles these nor builds those on its way to nspawn
// (docs/performance.md). Nothing here reads or writes a file, opens a
// socket, asks for randomness (crypto.randomUUID keeps a cache of random
// bytes, which the blob would give every start) or keeps a value.
import { parseRunArgs } from './run-args.js';
import { metadataUrl } from '../metadata/register.js';
import { buildPlan, planWithMetadataUrl, type PlanImages } from '../pod/plan.js';
import type { TreeEntry, TreeFiles } from '../pod/image-tree.js';
import { COMMAND_LINE, reifyPod, type ImageSource } from '../pod/reify.js';
import { PodState } from '../pod/state-schema.js';
import { parseImageManifest } from '../spec/index.js';
import { rehearsePodStart } from '../systemd/rehearsal.js';
import { haltUnit, hostUnitProperties } from '../../stage1-nspawn/host-unit.js';
import { renderAppUnit } from '../../stage1-nspawn/app-unit.js';
import { healthUnits } from '../../stage1-nspawn/app-health.js';
import { reportLines } from '../../stage1-nspawn/isolators.js';
import { parsePodPlan, type PodPlan } from '../../stage1-nspawn/plan.js';

const IMAGE = 'example.com/warm-up';
const IMAGE_ID = `sha512-${'0'.repeat(128)}`;
const TREE = '/warm-up/rootfs';
const UUID = '00000000-0000-4000-8000-000000000000';

/** `run -d` of two apps of one image, as bench/pod-start runs it, on the host's network and on the default one. */
const COMMAND_LINES = ['--net=host', undefined].map((net) => [
  '-d', ...(net ? [net] : []),
  ...['a', 'b'].flatMap((app, i) => [...(i ? ['---'] : []), IMAGE, '--name', app, '--exec', '/bin/sh', '--', '-c', `echo ${app}`]),
]);

const IMAGE_MANIFEST = JSON.stringify({ acKind: 'ImageManifest', acVersion: '0.8.11', name: IMAGE, app: { exec: ['/bin/sh'], user: 'root', group: 'root' } });

const entry = (kind: 'file' | 'dir', mode: number): TreeEntry => ({
  isSymbolicLink: () => false, isDirectory: () => kind === 'dir', isFile: () => kind === 'file', mode, uid: 0, gid: 0,
});

/** The image's tree: / with etc/passwd, etc/group and an executable bin/sh. */
const TREE_FILES = new Map<string, { entry: TreeEntry; text?: string }>([
  [TREE, { entry: entry('dir', 0o40755) }],
  [`${TREE}/etc`, { entry: entry('dir', 0o40755) }],
  [`${TREE}/etc/passwd`, { entry: entry('file', 0o100644), text: 'root:x:0:0:root:/:/bin/sh\n' }],
  [`${TREE}/etc/group`, { entry: entry('file', 0o100644), text: 'root:x:0:\n' }],
  [`${TREE}/bin`, { entry: entry('dir', 0o40755) }],
  [`${TREE}/bin/sh`, { entry: entry('file', 0o100755) }],
]);

const treeFiles: TreeFiles = {
  lstat: (p) => TREE_FILES.get(p)?.entry,
  readlink: (p) => {
    throw new Error(`warm-up: no link ${p}`);
  },
  readText: (p) => TREE_FILES.get(p)?.text,
};

const images: ImageSource & PlanImages = {
  resolve: async () => IMAGE_ID,
  manifest: async (id) => parseImageManifest(IMAGE_MANIFEST, `${id}/manifest`),
  treePath: () => TREE,
};

/** Runs the pure half of `run -d` (everything but its file calls) for each command line; returns the plans started. */
export async function warmUpRun(): Promise<PodPlan[]> {
  const started: PodPlan[] = [];
  for (const argv of COMMAND_LINES) {
    const request = parseRunArgs(argv, {});
    const manifest = await reifyPod(request, images);
    const built = await buildPlan({
      uuid: UUID, podDir: `/var/lib/sprocket/pods/${UUID}`, manifest, source: COMMAND_LINE, ...(request.network ? { network: request.network } : {}),
    }, images, { files: treeFiles, support: async () => ({ controllers: ['cpu', 'memory', 'pids'], apparmorProfiles: null, selinux: false }) });
    const plan = parsePodPlan(JSON.parse(JSON.stringify(planWithMetadataUrl(built, metadataUrl('warm-up-token')))));
    reportLines(plan);
    JSON.stringify(PodState.parse({ state: 'prepared', created: new Date(0).toISOString() }));
    for (const app of plan.apps) {
      renderAppUnit(plan, app);
      healthUnits(plan, app);
    }
    const { state } = await rehearsePodStart(plan.unit, hostUnitProperties(plan), [haltUnit(plan)]);
    if (state?.activeState !== 'active') throw new Error(`the rehearsed start of ${plan.unit} did not end active`);
    started.push(plan);
  }
  return started;
}
