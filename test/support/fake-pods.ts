// Pod operations against fakes, for unit tests: a state directory in a
// temporary directory, one image (example.com/idle, /bin/sleep 9) whose
// references are kept in a set, FakeSystemd (with the metadata socket unit
// as the package installs it), FakeNetworking, FakeSyscalls and the events
// written.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseRunArgs } from '../../src/cli/run-args.js';
import type { PodEvent } from '../../src/journal/events.js';
import { METADATA_SOCKET_UNIT } from '../../src/metadata/ensure.js';
import type { PodContext } from '../../src/pod/context.js';
import { podDir, podPaths, type PodPaths } from '../../src/pod/dir.js';
import { preparePod, type PodImages } from '../../src/pod/prepare.js';
import { FakeNetworking } from './fake-network.js';
import { FakeSyscalls } from './fake-syscalls.js';
import { FakeSystemd } from './fake-systemd.js';

export const IDLE_IMAGE_ID = `sha512-${'c'.repeat(128)}`;

/** `systemd`: a FakeSystemd of the test's own (given the state directory). */
export async function fakePods(opts: { systemd?: (stateDir: string) => FakeSystemd } = {}) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'sprocket-pods-'));
  const tree = path.join(root, 'tree');
  await fs.mkdir(path.join(tree, 'etc'), { recursive: true });
  await fs.writeFile(path.join(tree, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
  await fs.writeFile(path.join(tree, 'etc/group'), 'root:x:0:\n');
  await fs.mkdir(path.join(tree, 'bin'));
  await fs.writeFile(path.join(tree, 'bin/sleep'), '', { mode: 0o755 });
  const refs = new Set<string>();
  const images: PodImages = {
    resolve: async () => IDLE_IMAGE_ID,
    manifest: async () => ({ acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/idle', app: { exec: ['/bin/sleep', '9'], user: 'root', group: '0' } }),
    treePath: () => tree,
    hold: async (ids, uuid) => ids.forEach((id) => refs.add(`${id}/${uuid}`)),
    release: async (ids, uuid) => ids.forEach((id) => refs.delete(`${id}/${uuid}`)),
  };
  const events: PodEvent[] = [];
  const stateDir = path.join(root, 'state');
  const systemd = opts.systemd?.(stateDir) ?? new FakeSystemd();
  // As installed by the package: pods find the metadata service without starting one.
  await systemd.startTransientUnit(METADATA_SOCKET_UNIT, { Description: 'sprocket metadata service socket' });
  const net = new FakeNetworking();
  const sys = new FakeSyscalls();
  const ctx: PodContext = { stateDir, systemd, net, sys, event: (e) => events.push(e) };
  return { ctx, systemd, images, refs, events, net, sys };
}

/** Prepares a pod of the idle image with these run flags (before the image). */
export const prepareIdle = (ctx: PodContext, images: PodImages, ...flags: string[]) => preparePod(ctx, parseRunArgs([...flags, 'idle']), images);

/**
 * A pod that exits 0 marked as stage1 marks a clean end (src/pod/pod-end.ts):
 * its app's own end when the app exited 0, else a stop.
 */
export async function markCleanEnd(paths: PodPaths, podStatusLine: string, appLine?: string): Promise<void> {
  if (podStatusLine === 'success exited 0') await fs.writeFile(appLine === 'success exited 0' ? paths.appsEnded : paths.stopRequested, '');
}

/**
 * What the pod's hooks write when the pod ends, and the end of its unit; a
 * clean end marked (markCleanEnd) unless `marked` is false (a shutdown that
 * no stop asked for).
 */
export async function endPod(ctx: PodContext, systemd: FakeSystemd, uuid: string, app: string, podStatusLine: string, appLine: string, marked = true) {
  const paths = podPaths(podDir(ctx.stateDir, uuid));
  await fs.writeFile(path.join(paths.status, app), `${appLine}\n`);
  if (marked) await markCleanEnd(paths, podStatusLine, appLine);
  await fs.writeFile(paths.podExit, `${podStatusLine}\n`);
  systemd.exit(`sprocket-${uuid}.service`, Number(podStatusLine.split(' ')[2]));
}
