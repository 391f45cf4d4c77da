// `image build`: turns an image layout directory (manifest + rootfs/) into an
// ACI, keeping modes, owners, times, xattrs, hard links and device nodes.
import { execFile } from 'node:child_process';
import { createReadStream, Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import { invalid, SprocketError } from '../errors.js';
import { parseImageManifest } from '../spec/index.js';
import { addEntry, AciWriteOptions, TarHeader, writeAci } from './aci-writer.js';

const run = promisify(execFile);

export interface BuildOptions extends AciWriteOptions {
  /** Record every file as owned by uid 0, gid 0. */
  ownerRoot?: boolean;
}

/** Checks that `dir` is an image layout: a valid manifest file and a rootfs directory. */
export async function readLayout(dir: string): Promise<{ manifestBytes: Buffer }> {
  const file = path.join(dir, 'manifest');
  const manifestBytes = await fs.readFile(file).catch((e: Error) => {
    throw invalid(`cannot read the manifest: ${e.message}`, { file });
  });
  parseImageManifest(manifestBytes, file);
  const rootfs = await fs.lstat(path.join(dir, 'rootfs')).catch(() => undefined);
  if (!rootfs?.isDirectory()) throw invalid('no rootfs directory in the image layout', { file: path.join(dir, 'rootfs') });
  return { manifestBytes };
}

export async function buildAci(layout: string, out: string, opts: BuildOptions = {}): Promise<void> {
  await readLayout(layout);
  const xattrs = await readXattrs(layout);
  const links = new Map<string, string>();
  const header = (name: string, st: Stats): TarHeader => ({
    name,
    mode: st.mode & 0o7777,
    uid: opts.ownerRoot ? 0 : st.uid,
    gid: opts.ownerRoot ? 0 : st.gid,
    mtime: st.mtime,
    ...(xattrs.has(path.join(layout, name)) ? { pax: xattrs.get(path.join(layout, name)) } : {}),
  });

  async function add(pack: tar.Pack, name: string): Promise<void> {
    const abs = path.join(layout, name);
    const st = await fs.lstat(abs);
    const h = header(name, st);
    const inode = `${st.dev}:${st.ino}`;
    if (!st.isDirectory() && st.nlink > 1 && links.has(inode)) return addEntry(pack, { ...h, type: 'link', linkname: links.get(inode)! });
    if (!st.isDirectory()) links.set(inode, name);
    if (st.isFile()) return addEntry(pack, { ...h, type: 'file', size: st.size }, createReadStream(abs));
    if (st.isSymbolicLink()) return addEntry(pack, { ...h, type: 'symlink', linkname: await fs.readlink(abs) });
    if (st.isFIFO()) return addEntry(pack, { ...h, type: 'fifo' });
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      // glibc's major()/minor() split of st_rdev
      const major = Math.floor(st.rdev / 256) & 0xfff;
      const minor = (st.rdev & 0xff) | (Math.floor(st.rdev / 4096) & 0xfff00);
      return addEntry(pack, { ...h, type: st.isBlockDevice() ? 'block-device' : 'character-device', devmajor: major, devminor: minor });
    }
    if (!st.isDirectory()) throw invalid('sockets cannot be stored in an ACI', { file: abs });
    await addEntry(pack, { ...h, type: 'directory' });
    for (const child of (await fs.readdir(abs)).sort()) await add(pack, `${name}/${child}`);
  }

  await writeAci(out, opts, async (pack) => {
    await add(pack, 'manifest');
    await add(pack, 'rootfs');
  });
}

/** All extended attributes below `dir`, in one getfattr run, as PAX records by path. */
async function readXattrs(dir: string): Promise<Map<string, Record<string, string>>> {
  let stdout: string;
  try {
    ({ stdout } = await run('getfattr', ['--recursive', '--physical', '--no-dereference', '--dump', '--match=-', '--encoding=hex', '--absolute-names', '--', dir], { maxBuffer: 1 << 30 }));
  } catch (e) {
    throw new SprocketError('io', `cannot read extended attributes: ${(e as Error).message.split('\n')[0]}`, { file: dir, hint: 'install the attr package' });
  }
  const found = new Map<string, Record<string, string>>();
  let current: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) {
      // getfattr escapes unusual bytes in names as \ooo
      const file = line.slice(8).replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      current = {};
      found.set(path.normalize(Buffer.from(file, 'latin1').toString('utf8')), current);
    } else if (line.includes('=0x')) {
      const eq = line.indexOf('=0x');
      current[`SCHILY.xattr.${line.slice(0, eq)}`] = Buffer.from(line.slice(eq + 3), 'hex').toString('utf8');
    }
  }
  return found;
}
