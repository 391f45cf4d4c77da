// Looking into an app's image tree from the host, which must never follow
// the image's symlinks out of it: a path is resolved as if the tree were
// the root (chroot semantics), so a hostile image cannot make sprocket read
// or report on host files.
import fs from 'node:fs/promises';
import path from 'node:path';

const MAX_LINKS = 40;

/** The host path of `p` inside `tree`, symlinks resolved within the tree; undefined if it does not exist. */
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
    const st = await fs.lstat(host).catch(() => undefined);
    if (!st) return undefined;
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = await fs.readlink(host);
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
  const text = await fs.readFile(host, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}
