// prepare: a pod request becomes a pod directory in state prepared. All
// checks (images, users, working directories, volumes) run before anything
// is written; the directory is made under pods/.new-<uuid> and renamed into
// place when complete, so a crash leaves only a .new- directory that gc
// removes (its lock is free once its maker is gone).
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync } from 'node:fs';
import fs from 'node:fs/promises';
import { SprocketError } from '../errors.js';
import { makePrivateDirs } from '../image/private-dirs.js';
import { killPoint } from '../kill-point.js';
import { ensureMetadataService } from '../metadata/ensure.js';
import { registerPod, unregisterPod } from '../metadata/register.js';
import { writeStage1Root } from '../../stage1-nspawn/stage1-root.js';
import type { PodPlan, UidRange } from '../../stage1-nspawn/plan.js';
import type { PodContext } from './context.js';
import { newPodDir, podDir, podPaths, podsLockFile } from './dir.js';
import { lockFile, withLock, type Lock } from './lock.js';
import { findPodByName } from './find.js';
import { buildPlan, planWithMetadataUrl, type InlineUnit, type PlanImages } from './plan.js';
import { COMMAND_LINE, reifyPod, type ImageSource } from './reify.js';
import type { PodRequest } from './request.js';
import { allocateUidRange } from './uid-range.js';
import { appSecrets } from './secrets.js';
import { now, writeAtomically, writeState } from './state.js';

/** The images of a pod, and the references that keep them in the store while the pod exists. */
export interface PodImages extends ImageSource, PlanImages {
  hold(ids: string[], uuid: string): Promise<void>;
  release(ids: string[], uuid: string): Promise<void>;
}

/** `inline`: the pod will run as the main process of this run of the operator's service (src/pod/inline.ts). */
export async function preparePod(ctx: PodContext, request: PodRequest, images: PodImages, inline?: InlineUnit): Promise<PodPlan> {
  const { plan, lock } = await preparePodHeld(ctx, request, images, inline);
  await lock.release();
  return plan;
}

/**
 * A prepared pod whose lock this process still holds: `run` starts it
 * (startPod) without letting go in between, so nothing can have changed it
 * and its state and plan need not be read back (docs/performance.md).
 */
export interface HeldPod {
  plan: PodPlan;
  lock: Lock;
  /** The metadata service's check, begun while the pod was prepared: the start awaits it instead of checking again. */
  metadataChecked?: Promise<unknown> | undefined;
}

/**
 * preparePod, keeping the pod's lock: the caller releases it. `startsNext`
 * (run): the metadata service is checked (ensureMetadataService: D-Bus
 * round trips, systemd may load its units) while the pod is made.
 */
export async function preparePodHeld(ctx: PodContext, request: PodRequest, images: PodImages, inline?: InlineUnit, opts: { startsNext?: boolean } = {}): Promise<HeldPod> {
  const manifest = await reifyPod(request, images, (message) => process.stderr.write(`sprocket: warning: ${message}\n`));
  const uuid = randomUUID();
  const final = podDir(ctx.stateDir, uuid);
  let plan = await buildPlan({
    uuid, podDir: final, manifest, source: request.podManifest ?? COMMAND_LINE, ...(request.network ? { network: request.network } : {}),
    strictIsolators: request.strictIsolators ?? false, insecurePaths: request.insecurePaths ?? false, insecureSeccomp: request.imageGrants?.seccomp ?? false,
    interactive: request.interactive, ...(request.limits ? { limits: request.limits } : {}),
    ...(inline ? { inline } : {}),
    secrets: manifest.apps.map((_, i) => appSecrets(request, i)),
  }, images);
  await ctx.net.check(plan);
  const metadataChecked = opts.startsNext && (request.mdsRegister ?? true) ? ensureMetadataService(ctx.systemd, { stateDir: ctx.stateDir }) : undefined;
  metadataChecked?.catch(() => undefined); // the start awaits it; a prepare that fails first does not
  const tmp = newPodDir(ctx.stateDir, uuid);
  const paths = podPaths(tmp);
  makePrivateDirs(ctx.stateDir);
  const named = request.name ? { name: request.name } : {};
  let uidRange: UidRange | undefined;
  // The name check and the claim of the name (the state file) under one lock.
  const lock = await withLock(podsLockFile(ctx.stateDir), async () => {
    if (request.name && (await findPodByName(ctx, request.name))) {
      throw new SprocketError('conflict', `a live pod is already named ${request.name}`, { field: '--name', hint: 'choose another name, or stop and remove that pod' });
    }
    mkdirSync(tmp, { mode: 0o700 });
    const held = (await lockFile(paths.lock, { wait: true }))!;
    // The pod's uid range is chosen and recorded under the lock: no other pod can take it.
    if (request.privateUsers) uidRange = await allocateUidRange(ctx.stateDir, uuid);
    await writeState(paths.state, { state: 'preparing', created: now(), ...named, ...(uidRange ? { uidRange } : {}) });
    return held;
  });
  if (uidRange) plan = { ...plan, privateUsers: uidRange };
  killPoint('prepare:named');
  try {
    // Registered first: AC_METADATA_URL carries the token (the secrets move with the directory).
    if (request.mdsRegister ?? true) plan = planWithMetadataUrl(plan, (await registerPod(ctx.stateDir, uuid, { podDir: tmp })).url);
    killPoint('prepare:registered');
    await writeAtomically(paths.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
    await writeAtomically(paths.plan, `${JSON.stringify(plan, null, 2)}\n`);
    await writeStage1Root({ ...plan, podDir: tmp, stage1Root: paths.stage1 });
    killPoint('prepare:stage1-written');
    await images.hold(plan.apps.map((a) => a.imageId), uuid);
    killPoint('prepare:images-held');
    const state = { state: 'prepared' as const, created: now(), ...named, ...(uidRange ? { uidRange } : {}) };
    await writeState(paths.state, state);
    killPoint('prepare:state-written');
    renameSync(tmp, final);
    killPoint('prepare:renamed');
  } catch (e) {
    await images.release(plan.apps.map((a) => a.imageId), uuid).catch(() => undefined);
    await unregisterPod(ctx.stateDir, uuid, { podDir: tmp }).catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true });
    await lock.release();
    throw e;
  }
  ctx.event({ pod: uuid, event: 'prepared', message: `pod ${uuid}: prepared, apps ${plan.apps.map((a) => a.name).join(', ')}` });
  return { plan, lock, metadataChecked };
}
