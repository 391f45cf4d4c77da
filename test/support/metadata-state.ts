// A state directory written by hand for the metadata tests: pods (manifest
// file `pod`) and image manifests where the store keeps them.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const imageId = (c: string) => `sha512-${c.repeat(128)}`;

export const IMAGES = {
  /** Annotations to merge with the pod app's. */
  web: { id: imageId('1'), manifest: { acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/web', annotations: [{ name: 'a', value: 'image' }, { name: 'b', value: 'image' }] } },
  empty: { id: imageId('2'), manifest: { acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/empty', annotations: [] } },
  nulls: { id: imageId('3'), manifest: { acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/nulls', annotations: null } },
  absent: { id: imageId('4'), manifest: { acKind: 'ImageManifest', acVersion: '0.8.11', name: 'example.com/absent' } },
};

export const POD_A = '0a0a0a0a-0000-4000-8000-00000000000a';
export const POD_B = '0b0b0b0b-0000-4000-8000-00000000000b';
export const POD_C = '0c0c0c0c-0000-4000-8000-00000000000c';

const app = (name: string, image: { id: string }, extra = {}) => ({ name, image: { name: `example.com/${name}`, id: image.id }, ...extra });

export const PODS: Record<string, object> = {
  // Pod annotations null; apps with every kind of image annotations.
  [POD_A]: {
    acKind: 'PodManifest',
    acVersion: '0.8.11',
    apps: [
      app('web', IMAGES.web, { annotations: [{ name: 'c', value: 'pod' }, { name: 'a', value: 'pod' }] }),
      app('empty', IMAGES.empty),
      app('nulls', IMAGES.nulls, { annotations: [] }),
      app('absent', IMAGES.absent),
      app('added', IMAGES.nulls, { annotations: [{ name: 'x', value: 'pod' }] }),
    ],
    annotations: null,
  },
  [POD_B]: { acKind: 'PodManifest', acVersion: '0.8.11', apps: [app('web', IMAGES.web)], annotations: [] },
  [POD_C]: { acKind: 'PodManifest', acVersion: '0.8.11', apps: [app('web', IMAGES.web)], annotations: [{ name: 'ip-address', value: '10.1.2.3' }] },
};

/** The manifest file of a pod as written: odd spacing on purpose, it must be served byte for byte. */
export const podFile = (uuid: string) => `${JSON.stringify(PODS[uuid], null, 3)}\n`;

/** A fresh state directory with PODS and IMAGES. */
export async function stateDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sprocket-mds-'));
  for (const uuid of Object.keys(PODS)) {
    await fs.mkdir(path.join(dir, 'pods', uuid), { recursive: true });
    await fs.writeFile(path.join(dir, 'pods', uuid, 'pod'), podFile(uuid));
  }
  for (const image of Object.values(IMAGES)) {
    await fs.mkdir(path.join(dir, 'images', image.id), { recursive: true });
    await fs.writeFile(path.join(dir, 'images', image.id, 'manifest'), JSON.stringify(image.manifest));
  }
  return dir;
}
