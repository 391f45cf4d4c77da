// `image validate`: tells an image layout directory, an ACI (any of the
// supported compressions) and a bare manifest (image or pod) apart by content,
// and checks it.
import fs from 'node:fs/promises';
import { invalid, SprocketError } from '../errors.js';
import { ImageId, ImageManifest, missingForRun, parseImageManifest, parseManifest, PodManifest } from '../spec/index.js';
import { readAci, readAciHead } from './aci-reader.js';
import { readLayout } from './aci-builder.js';
import { detectCompression } from './decompress.js';
import { ImageLimits, imageLimits } from './limits.js';

export type ValidatedImage =
  | { kind: 'layout'; manifest: ImageManifest }
  | { kind: 'aci'; manifest: ImageManifest; id: ImageId }
  | { kind: 'manifest'; manifest: ImageManifest }
  /** `missing`: what a pod template lacks to be run (empty for a runnable pod manifest). */
  | { kind: 'pod-manifest'; manifest: PodManifest; missing: string[] };

export async function validateImageFile(file: string, limits: ImageLimits = imageLimits()): Promise<ValidatedImage> {
  const st = await fs.stat(file).catch((e: Error) => {
    throw new SprocketError('not-found', `cannot read: ${e.message}`, { file });
  });
  if (st.isDirectory()) {
    const { manifestBytes } = await readLayout(file);
    return { kind: 'layout', manifest: parseImageManifest(manifestBytes, `${file}/manifest`) };
  }
  const head = await readAciHead(file);
  if (detectCompression(head)) {
    const { manifest, id } = await readAci(file, undefined, { limits });
    return { kind: 'aci', manifest, id };
  }
  if (!head.toString('utf8').trimStart().startsWith('{')) {
    throw invalid('neither an ACI (tar, gzip, bzip2, xz), an image layout directory nor a manifest', { file });
  }
  if (st.size > limits.maxManifestSize) throw invalid(`manifest is larger than ${limits.maxManifestSize} bytes`, { file });
  const parsed = parseManifest(await fs.readFile(file), file);
  return parsed.acKind === 'PodManifest'
    ? { kind: 'pod-manifest', manifest: parsed.manifest, missing: missingForRun(parsed.manifest) }
    : { kind: 'manifest', manifest: parsed.manifest };
}
