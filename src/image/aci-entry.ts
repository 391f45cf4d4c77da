// The rules every tar entry of an ACI must follow, checked before anything
// touches the disk: where it may go, what it may replace, what it may link to.
import path from 'node:path';
import { invalid } from '../errors.js';

export type EntryKind = 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
const KINDS = new Set<string>(['file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo', 'contiguous-file']);

/** Where an entry of the ACI goes: the manifest, or a path inside rootfs ('' is rootfs itself). */
export type EntryPlace = { place: 'manifest' } | { place: 'rootfs'; rel: string };

/**
 * The components of a tar name (without empty and "." ones); refuses a NUL
 * byte, a line break and "..": rules of every tar sprocket reads (ACIs, OCI
 * layers).
 */
export function nameParts(name: string, file: string, field: string): string[] {
  if (name.includes('\0')) throw invalid('path contains a NUL byte', { file, field });
  // Line-based tools (tar -t, manifests of file lists, logs) would read two names.
  if (/[\n\r]/.test(name)) throw invalid('path contains a line break', { file, field });
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw invalid('path contains ".."', { file, field });
  return parts;
}

/** Normalizes a tar name; refuses anything that could land outside the image. */
export function entryPlace(name: string, file: string): EntryPlace {
  const field = `entry ${JSON.stringify(name)}`;
  if (name.startsWith('/')) throw invalid('absolute path in the archive', { file, field });
  const parts = nameParts(name, file, field);
  if (parts.length === 0) return { place: 'rootfs', rel: '.' }; // "./", the archive root: no content
  if (parts[0] === 'manifest' && parts.length === 1) return { place: 'manifest' };
  if (parts[0] !== 'rootfs') throw invalid('entry outside rootfs/ (an ACI holds only manifest and rootfs/ at the top)', { file, field });
  return { place: 'rootfs', rel: parts.slice(1).join('/') };
}

/** What one ACI layer has put where so far; rules that span several entries. */
export class LayerIndex {
  private readonly kinds = new Map<string, EntryKind | 'implicit'>();

  constructor(private readonly file: string) {}

  /** The kind of entry `type` normalized; refuses unknown tar entry types. */
  static kind(type: string | null | undefined, file: string, field: string): EntryKind {
    if (!type || !KINDS.has(type)) throw invalid(`unsupported tar entry type ${JSON.stringify(type)}`, { file, field });
    return type === 'contiguous-file' ? 'file' : (type as EntryKind);
  }

  /** Records an entry; refuses duplicates, entries below a non-directory and bad hard links. */
  add(rel: string, kind: EntryKind, linkTarget?: string): void {
    const field = `rootfs/${rel}`;
    const prior = this.kinds.get(rel);
    if (prior === 'implicit' && kind !== 'directory') throw invalid('entry replaces a directory that already has entries', { file: this.file, field });
    if (prior !== undefined && prior !== 'implicit') throw invalid('duplicate entry', { file: this.file, field });
    for (let dir = path.posix.dirname(rel); dir !== '.' && dir !== ''; dir = path.posix.dirname(dir)) {
      const k = this.kinds.get(dir);
      if (k === 'symlink') throw invalid(`entry would be extracted through the symlink rootfs/${dir}`, { file: this.file, field });
      if (k !== undefined && k !== 'directory' && k !== 'implicit') throw invalid(`parent rootfs/${dir} is not a directory`, { file: this.file, field });
      if (k !== undefined) break; // ancestors of a known directory were checked when it was added
      this.kinds.set(dir, 'implicit');
    }
    if (kind === 'link') {
      const target = linkTarget === undefined ? undefined : this.kinds.get(linkTarget);
      if (target === undefined) throw invalid('hard link to a target that is not an earlier entry of rootfs/', { file: this.file, field });
      if (target === 'directory' || target === 'implicit') throw invalid('hard link to a directory', { file: this.file, field });
    }
    this.kinds.set(rel, kind);
  }

  has(rel: string): boolean {
    return this.kinds.has(rel);
  }
}
