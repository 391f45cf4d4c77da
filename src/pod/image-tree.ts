// Looking into an app's image tree from the host, which must never follow
// the image's symlinks out of it: a path is resolved as if the tree were
// the root (chroot semantics), so a hostile image cannot make sprocket read
// or report on host files. Synchronous file calls: a few small lookups per
// app on the way to its pod's start, each otherwise a trip through libuv's
// thread pool (docs/performance.md).
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

const MAX_LINKS = 40;

/** lstat, or undefined when the path cannot be looked at (missing, a file on the way). */
export function lstatOrUndefined(p: string) {
  try {
    return lstatSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The host path of `p` inside `tree`, symlinks resolved within the tree (none is left in it); undefined if it does not exist. */
export async function resolveInTree(tree: string, p: string): Promise<string | undefined> {
  const todo = p.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = path.join(tree, ...done, part);
    const st = lstatOrUndefined(host);
    if (!st) return undefined;
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    done.push(part);
  }
  return path.join(tree, ...done);
}

/** Fields of colon-separated database lines (etc/passwd, etc/group) of the tree. */
export async function readDatabase(tree: string, file: string): Promise<string[][]> {
  const host = await resolveInTree(tree, file);
  if (!host) return [];
  let text = '';
  try {
    text = readFileSync(host, 'utf8');
  } catch {
    // unreadable (a directory, say): no entries
  }
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}
