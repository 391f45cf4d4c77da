// A pod in a user namespace of its own (plan privateUsers, docs/isolators.md,
// "User namespaces"): uid 0 of the pod is the range's base on the host.
// nspawn cannot give such a pod overlay roots (an overlay mount cannot be
// idmapped: the image's files would show as nobody), so each image tree is
// bound read-only with an idmapped mount (its files are root's in the pod,
// and unchanged in the store), the apps' upper and work directories, owned
// by the range on the host, are bound as they are, and the pod's systemd
// mounts each app's overlay itself (a mount unit: overlayfs mounts in a user
// namespace; user.overlay.* attributes, as trusted.* are the host root's).
// Files an app writes land on the host owned by the range.
import { statfsSync } from 'node:fs';
import path from 'node:path';
import { invalid } from '../src/errors.js';
import { podPaths } from '../src/pod/dir.js';
import { appRoot } from './app-unit.js';
import type { PlanApp, PodPlan } from './plan.js';
import { mountUnitName } from './unit-syntax.js';

/** Inside the pod: an app's image tree, bound read-only and idmapped (the overlay's lower layer). */
export const appTree = (app: string) => `/sprocket/trees/${app}`;
/** Inside the pod: pods/<uuid>/apps, each app's upper and work directories. */
export const APP_DIRS = '/sprocket/app-dirs';
/** pods/<uuid>/apps/<app>/work: the overlay's work directory, beside its upper directory. */
export const appWork = (plan: PodPlan, app: string) => path.join(podPaths(plan.podDir).apps, app, 'work');

/** The host ids of ids `uid`, `gid` of the pod: themselves without a user namespace. */
export const hostIds = (plan: PodPlan, uid = 0, gid = 0): [number, number] => {
  const base = plan.privateUsers?.base ?? 0;
  return [base + uid, base + gid];
};

/** nspawn's options for the pod's user namespace: its range, and the stage1 root (root's on the host) seen as the pod's root's through an idmapped mount. */
export const privateUsersArgs = (plan: PodPlan): string[] =>
  plan.privateUsers ? [`--private-users=${plan.privateUsers.base}:${plan.privateUsers.size}`, '--private-users-ownership=map'] : [];

/**
 * The mount unit of an app's root: its image tree under its upper directory
 * (a read-only root: the upper directory, which holds the mount points, as
 * the top lower layer, and no upper). Started by the app's
 * RequiresMountsFor= of its root.
 */
export function appRootMount(app: PlanApp): [string, string] {
  const upper = `${APP_DIRS}/${app.name}/upper`;
  const layers = app.readOnlyRootFS
    ? `lowerdir=${upper}:${appTree(app.name)}`
    : `lowerdir=${appTree(app.name)},upperdir=${upper},workdir=${APP_DIRS}/${app.name}/work`;
  const text = [
    '[Unit]',
    `Description=sprocket: the root of app ${app.name}`,
    '',
    '[Mount]',
    'What=overlay',
    `Where=${appRoot(app.name)}`,
    'Type=overlay',
    `Options=${layers},userxattr`,
    '',
  ].join('\n');
  return [mountUnitName(appRoot(app.name)), text];
}

/**
 * File systems whose mounts Linux can idmap (the image trees and host
 * volumes of a pod in a user namespace): ext2/3/4, xfs, btrfs, f2fs, tmpfs
 * (Linux 6.3 on). Not overlayfs (EINVAL: a test host's root), nfs, fuse.
 */
const IDMAP_FS: Record<number, string> = { 0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0xf2f52010: 'f2fs', 0x01021994: 'tmpfs' };
const FS_NAMES: Record<number, string> = { 0x794c7630: 'overlayfs', 0x6969: 'nfs', 0x65735546: 'fuse' };

/**
 * Refuses, before anything runs, a pod in a user namespace whose image
 * trees or host volumes lie on a file system that cannot be idmapped
 * (nspawn would fail only once the unit started), naming the volume.
 */
export function checkIdmappable(plan: PodPlan): void {
  if (!plan.privateUsers) return;
  const check = (p: string, what: string, field: string) => {
    const type = statfsSync(p).type;
    if (IDMAP_FS[type]) return;
    const fs = FS_NAMES[type] ?? `type 0x${type.toString(16)}`;
    throw invalid(`${what}: ${p} is on a file system (${fs}) whose mounts cannot be idmapped, which a pod with a user namespace needs`, {
      file: 'plan.json', field, hint: 'move it to ext4, xfs, btrfs, f2fs or tmpfs, or prepare the pod with --private-users=no (its root is then the host\'s)',
    });
  };
  plan.apps.forEach((a, i) => check(a.tree, `app ${a.name}: image tree`, `apps.${i}.tree`));
  plan.volumes.forEach((v, i) => {
    if (v.kind === 'host') check(v.source, `host volume ${v.name}`, `volumes.${i}.source`);
  });
}
