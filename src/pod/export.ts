// `sprocket export POD FILE.aci` (rkt's export): an exited pod's app, with
// what it changed, as a new ACI. The app's root was an overlay: the image's
// rendered tree below, the app's upper directory (apps/<app>/upper) above.
// The two are merged into a private image layout as overlayfs shows them
// (a 0:0 character device in the upper directory deletes the lower path; a
// directory marked trusted.overlay.opaque, user.overlay.opaque in a user
// namespace, hides the lower contents), then
// built into an ACI whose manifest is the image's, flattened: no
// dependencies, no pathWhitelist (the tree is already rendered).
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { SprocketError, usage } from '../errors.js';
import { buildAci } from '../image/aci-builder.js';
import type { ImageStore } from '../image/store.js';
import { appUpper } from '../../stage1-nspawn/stage1-root.js';
import { UID_RANGE_SIZE } from '../../stage1-nspawn/plan.js';
import type { PodContext } from './context.js';
import { podDir } from './dir.js';
import { podStatus, readPlan } from './status.js';
import { assertPodMay } from './transitions.js';

const run = promisify(execFile);

export interface ExportOptions {
  /** The app to export; may be left out when the pod has one app. */
  app?: string;
  overwrite?: boolean;
}

export async function exportPod(ctx: PodContext, uuid: string, out: string, store: Pick<ImageStore, 'manifest' | 'treePath' | 'images'>, opts: ExportOptions): Promise<void> {
  assertPodMay('export', uuid, (await podStatus(ctx, uuid)).state);
  const plan = await readPlan(podDir(ctx.stateDir, uuid));
  const app = opts.app ? plan.apps.find((a) => a.name === opts.app) : plan.apps.length === 1 ? plan.apps[0] : undefined;
  if (!app) {
    throw usage(opts.app ? `pod ${uuid} has no app ${opts.app}` : `pod ${uuid} has ${plan.apps.length} apps: name one with --app`, {
      field: '--app',
      hint: `apps: ${plan.apps.map((a) => a.name).join(', ')}`,
    });
  }
  const work = await fs.mkdtemp(path.join(store.images, 'tmp', `${process.pid}-export-`));
  try {
    const rootfs = path.join(work, 'rootfs');
    await fs.mkdir(rootfs);
    // cp -a keeps owners, modes, times, xattrs, hard links and device nodes and never follows links.
    await run('cp', ['-a', '--', `${store.treePath(app.imageId)}/.`, `${rootfs}/`]);
    await applyUpper(appUpper(plan, app.name), rootfs, plan.privateUsers?.base);
    const { dependencies: _d, pathWhitelist: _w, ...manifest } = await store.manifest(app.imageId);
    const annotations = [...(manifest.annotations ?? []).filter((a) => a.name !== 'exported-from'), { name: 'exported-from', value: `pod ${uuid}, app ${app.name}` }];
    await fs.writeFile(path.join(work, 'manifest'), JSON.stringify({ ...manifest, annotations }));
    await buildAci(work, out, { overwrite: opts.overwrite });
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * Puts the upper directory's changes over `merged`, as overlayfs would show
 * them. `base`: a pod in a user namespace, whose overlay (mounted by the
 * pod) marks opaque directories with user.overlay.opaque and whose files are
 * owned by its range on the host: they are the image's as the app saw them.
 */
async function applyUpper(upper: string, merged: string, base?: number): Promise<void> {
  const opaque = await opaqueDirs(upper, base === undefined ? 'trusted' : 'user');
  const entries = (await fs.readdir(upper, { recursive: true })).map((e) => e.split(path.sep).join('/')).sort();
  const whiteouts: string[] = [];
  for (const rel of entries) {
    const st = await fs.lstat(path.join(upper, rel));
    const target = path.join(merged, rel);
    const below = await fs.lstat(target).catch(() => undefined);
    if (st.isCharacterDevice() && st.rdev === 0) {
      whiteouts.push(rel);
      continue;
    }
    // A type change, or a directory whose lower contents are hidden, replaces what was below.
    if (below && (below.isDirectory() !== st.isDirectory() || (st.isDirectory() && opaque.has(rel)))) await fs.rm(target, { recursive: true, force: true });
  }
  if (entries.length) await run('cp', ['-a', '--', `${upper}/.`, `${merged}/`]);
  for (const rel of whiteouts) await fs.rm(path.join(merged, rel), { recursive: true, force: true });
  if (base === undefined) return;
  const inRange = (id: number) => (id >= base && id - base < UID_RANGE_SIZE ? id - base : id);
  for (const rel of entries) {
    if (whiteouts.includes(rel)) continue;
    const st = await fs.lstat(path.join(upper, rel));
    await fs.lchown(path.join(merged, rel), inRange(st.uid), inRange(st.gid));
    // chown clears set-id bits; the app's are kept.
    if (!st.isSymbolicLink() && st.mode & 0o6000) await fs.chmod(path.join(merged, rel), st.mode & 0o7777);
  }
}

/** Directories of `upper` (relative) that overlayfs marked opaque (getfattr, Debian package attr). */
async function opaqueDirs(upper: string, namespace: 'trusted' | 'user'): Promise<Set<string>> {
  const found = new Set<string>();
  const { stdout } = await run('getfattr', ['-R', '-P', '--absolute-names', '-n', `${namespace}.overlay.opaque`, '--', upper], { maxBuffer: 64 << 20 }).catch((e: { stdout?: string; code?: number }) => {
    // getfattr exits 1 when some file lacks the attribute; what it printed is still the list.
    if (typeof e.stdout === 'string') return { stdout: e.stdout };
    throw new SprocketError('io', `cannot read the overlay's attributes: ${String(e)}`, { file: upper });
  });
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) current = line.slice('# file: '.length);
    else if (current && line.startsWith(`${namespace}.overlay.opaque="y"`)) found.add(path.relative(upper, current));
  }
  return found;
}
