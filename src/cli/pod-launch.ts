// What run, prepare and run-prepared do once their command line is parsed:
// prepare a pod, start it detached or follow it in the foreground. Loaded
// only by those commands (see program.ts).
import type { Command } from 'commander';
import fs from 'node:fs/promises';
import { SprocketError } from '../errors.js';
import { refuseNotUp } from '../pod/boot-failure.js';
import type { PodContext } from '../pod/context.js';
import type { InlineUnit } from '../pod/plan.js';
import { preparePodHeld, type HeldPod, type PodImages } from '../pod/prepare.js';
import { podExitCode, startPod } from '../pod/run.js';
import type { PodRequest } from '../pod/request.js';
import type { NetRequest } from '../net/request.js';
import { reportLines } from '../../stage1-nspawn/isolators.js';
import { podImages } from './pod-context.js';

export async function prepare(request: PodRequest, cmd: Command, ctx: PodContext, inline?: { unit: InlineUnit; images: PodImages }): Promise<string> {
  const held = await prepareHeld(request, cmd, ctx, inline);
  await held.lock.release();
  return held.plan.uuid;
}

/** prepare, keeping the pod's lock (src/pod/prepare.ts HeldPod). */
async function prepareHeld(request: PodRequest, cmd: Command, ctx: PodContext, inline?: { unit: InlineUnit; images: PodImages }, opts: { startsNext?: boolean } = {}): Promise<HeldPod> {
  const held = await preparePodHeld(ctx, request, inline?.images ?? (await podImages(cmd, request.insecureOptions, request.pullPolicy)), inline?.unit, opts);
  try {
    for (const line of reportLines(held.plan)) process.stderr.write(`sprocket: ${line}\n`);
    if (request.uuidFileSave) {
      await fs.writeFile(request.uuidFileSave, `${held.plan.uuid}\n`).catch((e: Error) => {
        throw new SprocketError('io', `cannot save the UUID: ${e.message}`, { file: request.uuidFileSave });
      });
    }
    return held;
  } catch (e) {
    await held.lock.release();
    throw e;
  }
}

/**
 * `run`: prepare, then launch, holding the pod's lock from one to the other.
 * A pod refused before it started (a taken host port, a network that failed
 * to come up) is removed again: run leaves nothing behind.
 */
export async function runPod(ctx: PodContext, request: PodRequest, cmd: Command): Promise<void> {
  const held = await prepareHeld(request, cmd, ctx, undefined, { startsNext: true });
  const uuid = held.plan.uuid;
  try {
    await launch(ctx, uuid, request.detach, undefined, held);
  } catch (e) {
    await held.lock.release(); // if the start did not get that far (releasing twice is harmless)
    const [{ podStatus }, { removePod }] = await Promise.all([import('../pod/status.js'), import('../pod/rm.js')]);
    if ((await podStatus(ctx, uuid).catch(() => undefined))?.state === 'prepared') {
      await removePod(ctx, uuid, await podImages(cmd, request.insecureOptions)).catch(() => undefined);
    }
    throw e;
  }
}

/** The path of the terminal this command runs on, if stdin and stdout are one. */
async function terminal(): Promise<string | undefined> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return undefined;
  return fs.readlink('/proc/self/fd/0');
}

/**
 * Starts prepared pod `uuid`; detached prints its UUID, else follows it and
 * exits with its status. A pod that does not come up is an error (254,
 * src/pod/boot-failure.ts).
 */
export async function launch(ctx: PodContext, uuid: string, detach: boolean, network?: NetRequest, held?: HeldPod): Promise<void> {
  if (detach) {
    await refuseNotUp(ctx, await startPod(ctx, uuid, { network, held }));
    process.stdout.write(`${uuid}\n`);
    return;
  }
  const { followPod } = await import('../pod/attach.js');
  const follow = await followPod(ctx, uuid, {
    stdout: (l) => process.stdout.write(`${l}\n`),
    stderr: (l) => process.stderr.write(`${l}\n`),
  });
  const started = await startPod(ctx, uuid, { terminal: await terminal(), network, held }).catch((e: unknown) => {
    follow.cancel();
    throw e;
  });
  const ended = await refuseNotUp(ctx, started, await follow.done());
  // An end without an exit status of its own (254): say why.
  if (ended.failure) process.stderr.write(`sprocket: pod ${uuid}: ${ended.note}\n`);
  process.exitCode = podExitCode(ended);
}

/**
 * run --unit-mode=inline (src/pod/inline.ts): the pod is prepared for this
 * run of the calling service, the service's earlier pods are removed, and
 * nspawn's command line goes to the launcher, which execs it.
 */
export async function launchInline(ctx: PodContext, request: PodRequest, cmd: Command): Promise<void> {
  const { callerUnit, handOver, removeEarlierPods, startInline } = await import('../pod/inline.js');
  const unit = await callerUnit(ctx);
  const images = await podImages(cmd, request.insecureOptions, request.pullPolicy);
  await removeEarlierPods(ctx, unit, images);
  const uuid = await prepare(request, cmd, ctx, { unit, images });
  await handOver(await startInline(ctx, uuid, unit));
}
