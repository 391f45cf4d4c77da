// The image store as pods see it: images named on the command line are
// found in the store or fetched (as `sprocket fetch` does), and every pod
// holds a reference file per image (images/<id>/refs/<uuid>) so that image
// rm and gc leave its images alone while the pod exists; taking and dropping
// one records its last use (image list's LAST USED, image gc's grace period).
import { mkdirSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SprocketError } from '../errors.js';
import type { FetchOptions } from '../image/fetch.js';
import type { ImageStore } from '../image/store.js';
import type { ImageManifest } from '../spec/index.js';
import type { PodImages } from './prepare.js';

/** Sources that name a file or URL rather than an image already in the store. */
const isLocation = (s: string) => /^[a-z]+:\/\//.test(s) || s.startsWith('/') || s.startsWith('.') || s.endsWith('.aci');

/**
 * `fetch.pullPolicy` (default new) says when a named image is fetched
 * rather than taken from the store: never, when the store lacks it (new),
 * or always (update); fetchImages applies it to files, URLs and docker://.
 */
export function storeImages(store: ImageStore, fetch: Omit<FetchOptions, 'store'>): PodImages {
  const policy = fetch.pullPolicy ?? 'new';
  // Loaded only when an image is not in the store yet (it brings openpgp).
  const fetchOne = async (source: string) => (await (await import('../image/fetch.js')).fetchImages([source], { ...fetch, pullPolicy: policy, store }))[0]!;
  // One command asks for an image as often as it has apps of it: each is resolved and read once (an image ID's manifest never changes).
  const resolved = new Map<string, Promise<string>>();
  const manifests = new Map<string, Promise<ImageManifest>>();
  const resolve = async (image: string): Promise<string> => {
    if (isLocation(image)) return fetchOne(image);
    const isId = image.startsWith('sha512-');
    if (policy === 'update' && !isId) return fetchOne(image);
    try {
      return await store.resolve(image);
    } catch (e) {
      // An ID must be in the store; a name may be discovered and fetched (unless --pull-policy=never).
      if (!(e instanceof SprocketError && e.kind === 'not-found') || isId || policy === 'never') throw e;
      return fetchOne(image);
    }
  };
  const once = <T>(cache: Map<string, Promise<T>>, key: string, get: () => Promise<T>) => {
    if (!cache.has(key)) cache.set(key, get());
    return cache.get(key)!;
  };
  return {
    resolve: (image) => once(resolved, image, () => resolve(image)),
    manifest: (id) => once(manifests, id, () => store.manifest(id)),
    treePath: (id) => store.treePath(id),
    // Taking and dropping an image are its uses: image gc's grace period counts from the last one.
    hold: (ids, uuid) =>
      store.locked(async () => {
        for (const id of new Set(ids)) {
          mkdirSync(store.refsPath(id), { recursive: true });
          writeFileSync(path.join(store.refsPath(id), uuid), '');
          await store.markUsed(id);
        }
      }),
    release: (ids, uuid) =>
      store.locked(async () => {
        for (const id of new Set(ids)) {
          await fs.rm(path.join(store.refsPath(id), uuid), { force: true });
          if (await store.has(id)) await store.markUsed(id);
        }
      }),
  };
}
