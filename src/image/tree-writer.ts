// Writes ACI entries into a directory tree that this process created and
// nobody else writes to. It remembers what each path is, so it never has to
// ask the disk and never follows a link: a later layer replaces whatever an
// earlier layer put at a path (a symlink to a directory included) instead of
// writing through it. What an image may not put on the host is left out and
// reported: device nodes (a pod gets /dev from stage1) and extended
// attributes other than user.* (security.capability, trusted.overlay.*: an
// app asks for a capability with an isolator), and user.overlay.* too: the
// trees are overlay lower layers, and a pod in a user namespace mounts its
// overlays with user.overlay.* attributes, which an image must not steer. Setuid and setgid bits are
// kept: an app may need su or ping, and the store is root's alone
// (private-dirs.ts).
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { SprocketError } from '../errors.js';
import { AciEntry, drain, EntryBody } from './aci-reader.js';
import { EntryKind } from './aci-entry.js';

const run = promisify(execFile);
const XATTR_PREFIX = 'SCHILY.xattr.';

interface Metadata {
  uid: number;
  gid: number;
  mode: number;
  mtime: Date;
  xattrs: [string, string][];
}

/** The only extended attributes written: the user namespace's, which grant nothing, but for overlayfs's own (user.overlay.*: opaque, redirect, origin ...). */
const KEPT_XATTR_PREFIX = 'user.';
const OVERLAY_XATTR_PREFIX = 'user.overlay.';
const kept = (name: string) => name.startsWith(KEPT_XATTR_PREFIX) && !name.startsWith(OVERLAY_XATTR_PREFIX);

/** Told of each part of an entry that the tree leaves out: its path inside rootfs and what (for a warning). */
export type LeftOut = (rel: string, what: string) => void;

const isDevice = (kind: EntryKind) => kind === 'character-device' || kind === 'block-device';

export class TreeWriter {
  /** What is on disk below root, by relative path. */
  private readonly kinds = new Map<string, EntryKind>([['', 'directory']]);
  /** Directory metadata is applied last: writing entries changes a directory's mtime. */
  private readonly dirs = new Map<string, Metadata>();
  /** Device nodes not created (and hard links to them), which later links of the layer must not reach either. */
  private readonly devices = new Set<string>();

  constructor(readonly root: string, private readonly leftOut: LeftOut = () => {}) {}

  private metadataOf(entry: AciEntry): Metadata {
    const h = entry.header;
    const xattrs: [string, string][] = [];
    for (const [key, value] of Object.entries((h.pax ?? {}) as Record<string, string>)) {
      if (!key.startsWith(XATTR_PREFIX)) continue;
      const name = key.slice(XATTR_PREFIX.length);
      if (kept(name)) xattrs.push([name, value]);
      else this.leftOut(entry.rel, `extended attribute ${name} left out: only user.* attributes but user.overlay.* are kept (an app asks for a capability with an isolator)`);
    }
    return { uid: h.uid ?? 0, gid: h.gid ?? 0, mode: (h.mode ?? 0o644) & 0o7777, mtime: h.mtime ?? new Date(0), xattrs };
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : path.join(this.root, rel);
  }

  /**
   * Writes one entry. `linkFrom`: for a regular file, a file of another
   * stored image's tree with the same bytes and metadata, which the entry
   * becomes a hard link to (its body is drained unused).
   */
  async write(entry: AciEntry, body: EntryBody, linkFrom?: string): Promise<void> {
    const { rel, kind } = entry;
    await this.makeParents(rel);
    const prior = this.kinds.get(rel);
    if (prior === 'directory' && kind === 'directory') {
      this.dirs.set(rel, this.metadataOf(entry));
      return drain(body);
    }
    if (prior !== undefined) await this.remove(rel);
    const device = isDevice(kind) ? kind.replace('-', ' ') : kind === 'link' && this.devices.has(entry.linkTarget!) ? `hard link to the device node rootfs/${entry.linkTarget}` : undefined;
    if (device) {
      // The path stays empty, as if the layer had deleted what was there.
      this.devices.add(rel);
      this.leftOut(rel, `${device} not created: a pod gets /dev from stage1`);
      return drain(body);
    }
    this.devices.delete(rel);
    const abs = this.abs(rel);
    // link(2) does not follow a symlink target; the target was checked to lie in this tree. A link has its target's metadata.
    if (kind === 'link') await fs.link(this.abs(entry.linkTarget!), abs);
    else await this.create(entry, abs, body, linkFrom);
    this.kinds.set(rel, kind);
    await drain(body); // entries other than files carry no data
  }

  /** Creates a directory, file, symlink or fifo with the entry's metadata. */
  private async create(entry: AciEntry, abs: string, body: EntryBody, linkFrom: string | undefined): Promise<void> {
    const meta = this.metadataOf(entry);
    switch (entry.kind) {
      case 'directory':
        await fs.mkdir(abs, 0o700);
        this.dirs.set(entry.rel, meta);
        break;
      case 'file':
        if (linkFrom) await linkFile(linkFrom, abs, entry.header.size ?? 0);
        else await this.writeFile(abs, body, meta);
        break;
      case 'symlink':
        await fs.symlink(entry.header.linkname ?? '', abs);
        await fs.lchown(abs, meta.uid, meta.gid);
        await setXattrs(abs, meta.xattrs);
        await fs.lutimes(abs, meta.mtime, meta.mtime);
        break;
      default:
        // A fifo (devices are left out). Node has no mkfifo(3); the mknod binary (coreutils) does it.
        await run('mknod', [abs, 'p']).catch((e: Error) => {
          throw new SprocketError('io', `cannot create ${entry.kind}: ${e.message}`, { field: `rootfs/${entry.rel}` });
        });
        await fs.lchown(abs, meta.uid, meta.gid);
        await setXattrs(abs, meta.xattrs);
        await fs.chmod(abs, meta.mode);
        await fs.utimes(abs, meta.mtime, meta.mtime);
    }
  }

  private async writeFile(abs: string, body: EntryBody, meta: Metadata): Promise<void> {
    const fh = await fs.open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of body) await fh.write(chunk);
      // chown clears setuid bits and file capabilities: owner first, then xattrs, then mode.
      await fh.chown(meta.uid, meta.gid);
      await setXattrs(abs, meta.xattrs);
      await fh.chmod(meta.mode);
      await fh.utimes(meta.mtime, meta.mtime);
    } finally {
      await fh.close();
    }
  }

  /** Missing parents become plain directories; a non-directory parent left by an earlier layer is replaced. */
  private async makeParents(rel: string): Promise<void> {
    if (rel === '') return;
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const kind = this.kinds.get(dir);
      if (kind === 'directory') continue;
      if (kind !== undefined) await this.remove(dir);
      await fs.mkdir(this.abs(dir), 0o755);
      this.kinds.set(dir, 'directory');
    }
  }

  private async remove(rel: string): Promise<void> {
    await fs.rm(this.abs(rel), { recursive: true, force: true });
    const prefix = `${rel}/`;
    for (const k of this.kinds.keys()) if (k === rel || k.startsWith(prefix)) this.kinds.delete(k);
    for (const k of this.dirs.keys()) if (k === rel || k.startsWith(prefix)) this.dirs.delete(k);
  }

  /**
   * Removes every path that the image's pathWhitelist does not name (the
   * directories leading to a named path stay). Absent or empty keeps all.
   */
  async applyWhitelist(whitelist: string[] | undefined): Promise<void> {
    if (!whitelist?.length) return;
    const keep = new Set<string>(['']);
    for (const p of whitelist) {
      const parts = p.split('/').filter(Boolean);
      for (let i = 1; i <= parts.length; i++) keep.add(parts.slice(0, i).join('/'));
    }
    const paths = [...this.kinds.keys()].sort();
    for (const rel of paths) if (this.kinds.has(rel) && !keep.has(rel)) await this.remove(rel);
  }

  /** Applies directory owners, modes and times, deepest first. */
  async finish(): Promise<void> {
    const dirs = [...this.dirs.entries()].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
    for (const [rel, meta] of dirs) {
      const abs = this.abs(rel);
      await fs.chown(abs, meta.uid, meta.gid);
      await setXattrs(abs, meta.xattrs);
      await fs.chmod(abs, meta.mode);
      await fs.utimes(abs, meta.mtime, meta.mtime);
    }
  }
}

/** Entries named one by one in the warnings of one image; the rest are counted. */
const NAMED_LEFT_OUT = 20;

/**
 * Warnings for what a tree leaves out of the image `file` (`file: rootfs/PATH:
 * what`): the first entries by name, then, at done(), how many more there
 * were (an image built on an SELinux host labels every file).
 */
export function leftOutWarnings(file: string, warn: (message: string) => void): { leftOut: LeftOut; done(): void } {
  let count = 0;
  return {
    leftOut: (rel, what) => {
      if (++count <= NAMED_LEFT_OUT) warn(`${file}: rootfs/${rel}: ${what}`);
    },
    done: () => {
      if (count > NAMED_LEFT_OUT) warn(`${file}: ${count - NAMED_LEFT_OUT} more device nodes or extended attributes left out`);
    },
  };
}

/** A hard link at `abs` to `from`, which must still be a regular file of `size` bytes (a tree changed by hand is named, not linked). */
async function linkFile(from: string, abs: string, size: number): Promise<void> {
  const st = await fs.lstat(from).catch(() => undefined);
  if (!st?.isFile() || st.size !== size) {
    throw new SprocketError('invalid', `the image's tree no longer holds the file its blob says (${size} bytes expected, ${st?.isFile() ? `${st.size} found` : 'no file found'})`, {
      file: from, hint: 'sprocket image verify names what changed; remove the image and import it again',
    });
  }
  await fs.link(from, abs);
}

/** setfattr (Debian package attr): Node cannot set extended attributes. -h: never follow a symlink. */
async function setXattrs(abs: string, xattrs: [string, string][]): Promise<void> {
  for (const [name, value] of xattrs) {
    await run('setfattr', ['-h', '-n', name, '-v', `0x${Buffer.from(value, 'utf8').toString('hex')}`, '--', abs]).catch((e: Error) => {
      throw new SprocketError('io', `cannot set extended attribute ${name}: ${e.message.split('\n')[0]}`, { file: abs, hint: 'the store needs a file system with extended attributes (and the attr package)' });
    });
  }
}
