// Looking into an app's image tree from the host, which must never follow
// the image's symlinks out of it: a path is resolved as if the tree were
// the root (chroot semantics), so a hostile image cannot make sprocket read
// or report on host files. Synchronous file calls: a few small lookups per
// app on the way to its pod's start, each otherwise a trip through libuv's
// thread pool (docs/performance.md). The calls go through TreeFiles: the
// host's (hostTreeFiles), or made-up trees for the start-up snapshot's
// warm-up (src/cli/snapshot-warm.ts), which reads no file.
import { lstatSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';

const MAX_LINKS = 40;

/** What the lookups ask of a file. */
export type TreeEntry = Pick<Stats, 'isSymbolicLink' | 'isDirectory' | 'isFile' | 'mode' | 'uid' | 'gid'>;

/** The file calls of the lookups. */
export interface TreeFiles {
  /** lstat, or undefined when the path cannot be looked at (missing, a file on the way). */
  lstat(p: string): TreeEntry | undefined;
  readlink(p: string): string;
  /** The file's text, or undefined when it cannot be read (a directory, say). */
  readText(p: string): string | undefined;
}

export const hostTreeFiles: TreeFiles = {
  lstat(p) {
    try {
      return lstatSync(p, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
  },
  readlink: (p) => readlinkSync(p),
  readText(p) {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};

/** The host path of `p` inside `tree`, symlinks resolved within the tree (none is left in it); undefined if it does not exist. */
export function resolveInTree(files: TreeFiles, tree: string, p: string): string | undefined {
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
    const st = files.lstat(host);
    if (!st) return undefined;
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = files.readlink(host);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    done.push(part);
  }
  return path.join(tree, ...done);
}

/** Fields of colon-separated database lines (etc/passwd, etc/group) of the tree. */
export function readDatabase(files: TreeFiles, tree: string, file: string): string[][] {
  const host = resolveInTree(files, tree, file);
  // unreadable (a directory, say): no entries
  const text = (host && files.readText(host)) ?? '';
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}
