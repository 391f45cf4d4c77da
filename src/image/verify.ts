// image verify: an image in the store is what its blob says. The blob is
// rehashed (its image ID and manifest must match the store's), and the
// rendered tree that pods mount is compared, file by file (type, mode,
// owner, size, content, link target), with a fresh render of the blobs.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.js';
import type { ImageId } from '../spec/index.js';
import type { ImageStore } from './store.js';

/** At most this many differences of a tree are named; the count says how many there are. */
const SHOWN_DIFFERENCES = 5;

/** What is wrong with image `id`: empty when it verifies. */
export async function verifyImage(store: ImageStore, id: ImageId): Promise<string[]> {
  const problems = await verifyBlob(store, id);
  try {
    for (const dep of await store.dependenciesOf(id)) problems.push(...(await verifyBlob(store, dep)).map((p) => `dependency ${dep}: ${p}`));
  } catch (e) {
    problems.push(`cannot find its dependencies: ${describeError(e)}`);
  }
  if (problems.length) return problems; // a render of a bad blob proves nothing
  const fresh = await store.scratchDir();
  try {
    await store.renderFromBlobs(id, path.join(fresh, 'rootfs'));
    const differences = await compareTrees(path.join(fresh, 'rootfs'), store.treePath(id));
    if (differences.length) {
      const more = differences.length > SHOWN_DIFFERENCES ? ` (and ${differences.length - SHOWN_DIFFERENCES} more)` : '';
      problems.push(`the rendered tree differs from its blobs: ${differences.slice(0, SHOWN_DIFFERENCES).join('; ')}${more}`);
    }
  } catch (e) {
    problems.push(`cannot render it from its blobs: ${describeError(e)}`);
  } finally {
    await fs.rm(fresh, { recursive: true, force: true });
  }
  return problems;
}

async function verifyBlob(store: ImageStore, id: ImageId): Promise<string[]> {
  try {
    const contents = await store.readBlob(id);
    const problems: string[] = [];
    if (contents.id !== id) problems.push(`the blob hashes to ${contents.id}`);
    if (!contents.manifestBytes.equals(await store.manifestBytes(id))) problems.push("the stored manifest is not the blob's");
    return problems;
  } catch (e) {
    return [`the blob cannot be read: ${describeError(e)}`];
  }
}

/** Differences between tree `want` and tree `have`, by path below their roots. */
export async function compareTrees(want: string, have: string): Promise<string[]> {
  const [a, b] = await Promise.all([describeTree(want), describeTree(have)]);
  const differences: string[] = [];
  for (const [rel, d] of a) {
    const other = b.get(rel);
    if (other === undefined) differences.push(`/${rel}: missing`);
    else if (other !== d) differences.push(`/${rel}: ${d} expected, ${other} found`);
  }
  for (const rel of b.keys()) if (!a.has(rel)) differences.push(`/${rel}: not in the image`);
  return differences.sort();
}

/** Each entry below `root` (relative path) with its type, mode, owner, size and content hash or link target. */
async function describeTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    const st = await fs.lstat(abs);
    const meta = `mode ${(st.mode & 0o7777).toString(8)} owner ${st.uid}:${st.gid}`;
    if (st.isDirectory()) {
      if (rel) out.set(rel, `directory ${meta}`);
      for (const name of (await fs.readdir(abs)).sort()) await walk(path.join(rel, name));
    } else if (st.isFile()) {
      out.set(rel, `file ${meta} size ${st.size} sha256 ${(await sha256(abs)).slice(0, 16)}`);
    } else if (st.isSymbolicLink()) {
      out.set(rel, `link to ${await fs.readlink(abs)} owner ${st.uid}:${st.gid}`);
    } else {
      out.set(rel, `special ${meta} device ${st.rdev}`);
    }
  };
  await walk('');
  return out;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
