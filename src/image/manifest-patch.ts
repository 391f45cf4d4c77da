// `image patch-manifest`: the edits of the reference `actool patch-manifest`,
// applied to the manifest's JSON and checked against the schema afterwards.
import fs from 'node:fs/promises';
import { invalid, usage } from '../errors.js';
import { ImageManifest, parseImageManifest } from '../spec/index.js';
import { drain, readAci } from './aci-reader.js';
import { addEntry, AciWriteOptions, writeAci } from './aci-writer.js';

export interface ManifestPatch {
  name?: string;
  exec?: string;
  user?: string;
  group?: string;
  /** Comma-separated GIDs. */
  supplementaryGroups?: string;
  /** Comma-separated capabilities to retain / to remove. */
  capability?: string;
  revokeCapability?: string;
  /** name,path=/p,readOnly=true[:...] */
  mounts?: string;
  /** name,protocol=tcp,port=80[,count=1][,socketActivated=true][:...] */
  ports?: string;
  /** resource/cpu,request=50m,limit=100m[:...] */
  isolators?: string;
  /** retain or remove, optionally ,errno=EPERM */
  seccompMode?: string;
  /** Comma-separated syscalls. */
  seccompSet?: string;
}

type Json = Record<string, unknown>;

/** "first,k=v,k=v" into { [firstKey]: first, k: v }. */
function keyed(text: string, firstKey: string, what: string): Record<string, string> {
  const [first, ...rest] = text.split(',');
  const out: Record<string, string> = { [firstKey]: first! };
  for (const kv of rest) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw usage(`${what} ${JSON.stringify(text)}: ${JSON.stringify(kv)} is not key=value`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

function addIsolator(app: Json, name: string, value: unknown): void {
  const isolators = ((app.isolators as Json[] | undefined) ??= []);
  if (isolators.some((i) => i.name === name)) throw invalid(`isolator ${name} already exists`, { field: 'app.isolators' });
  isolators.push({ name, value });
}

export function patchManifest(manifest: ImageManifest, patch: ManifestPatch, file: string): ImageManifest {
  const m = structuredClone(manifest) as Json;
  if (patch.name !== undefined) m.name = patch.name;
  if (patch.exec !== undefined) m.app ??= { user: '0', group: '0' };
  const appEdits = Object.entries(patch).filter(([k, v]) => k !== 'name' && v !== undefined);
  if (appEdits.length && !m.app) throw usage('the manifest has no app; give --exec to add one');
  const app = m.app as Json;
  if (patch.exec !== undefined) app.exec = patch.exec.split(' ').filter(Boolean);
  if (patch.user !== undefined) app.user = patch.user;
  if (patch.group !== undefined) app.group = patch.group;
  if (patch.supplementaryGroups !== undefined) {
    app.supplementaryGIDs = list(patch.supplementaryGroups).map((g) => {
      if (!/^\d+$/.test(g)) throw usage(`supplementary group ${JSON.stringify(g)} is not a numeric GID`);
      return Number(g);
    });
  }
  if (patch.capability !== undefined) addIsolator(app, 'os/linux/capabilities-retain-set', { set: list(patch.capability) });
  if (patch.revokeCapability !== undefined) addIsolator(app, 'os/linux/capabilities-remove-set', { set: list(patch.revokeCapability) });
  if (patch.mounts !== undefined) {
    const mounts = ((app.mountPoints as Json[] | undefined) ??= []);
    for (const text of patch.mounts.split(':')) {
      const { readOnly, ...rest } = keyed(text, 'name', 'mount');
      mounts.push({ ...rest, ...(readOnly === undefined ? {} : { readOnly: readOnly === 'true' }) });
    }
  }
  if (patch.ports !== undefined) {
    const ports = ((app.ports as Json[] | undefined) ??= []);
    for (const text of patch.ports.split(':')) {
      const { port, count, socketActivated, ...rest } = keyed(text, 'name', 'port');
      ports.push({
        ...rest,
        ...(port === undefined ? {} : { port: Number(port) }),
        ...(count === undefined ? {} : { count: Number(count) }),
        ...(socketActivated === undefined ? {} : { socketActivated: socketActivated === 'true' }),
      });
    }
  }
  if (patch.isolators !== undefined) {
    for (const text of patch.isolators.split(':')) {
      const { name, ...value } = keyed(text, 'name', 'isolator');
      if (!name!.startsWith('resource/')) throw usage(`isolator ${name} cannot be patched: only resource/* isolators can`);
      addIsolator(app, name!, value);
    }
  }
  if (patch.seccompMode !== undefined || patch.seccompSet !== undefined) {
    const { mode, errno } = keyed(patch.seccompMode ?? 'retain', 'mode', 'seccomp mode');
    if (mode !== 'retain' && mode !== 'remove') throw usage(`seccomp mode ${JSON.stringify(mode)} is neither retain nor remove`);
    if (!patch.seccompSet) throw usage('--seccomp-mode needs --seccomp-set');
    addIsolator(app, `os/linux/seccomp-${mode}-set`, { set: list(patch.seccompSet), ...(errno ? { errno } : {}) });
  }
  return parseImageManifest(JSON.stringify(m), `${file} (patched manifest)`);
}

/**
 * Copies the ACI `input` to `out` with its manifest patched, or replaced by
 * `manifestFile`. The input is read twice: once to check it and find the
 * manifest, once to copy its rootfs after the new manifest.
 */
export async function patchAci(input: string, out: string, edit: { patch?: ManifestPatch; manifestFile?: string }, opts: AciWriteOptions): Promise<ImageManifest> {
  const { manifest } = await readAci(input);
  let bytes: Buffer;
  if (edit.manifestFile) {
    bytes = await fs.readFile(edit.manifestFile);
    parseImageManifest(bytes, edit.manifestFile);
  } else {
    bytes = Buffer.from(JSON.stringify(patchManifest(manifest, edit.patch ?? {}, input)));
  }
  await writeAci(out, opts, async (pack) => {
    await addEntry(pack, { name: 'manifest', type: 'file', mode: 0o644, mtime: new Date() }, bytes);
    await readAci(input, async ({ rel, kind, linkTarget, header }, body) => {
      const pax = Object.fromEntries(Object.entries((header.pax ?? {}) as Record<string, string>).filter(([k]) => k.startsWith('SCHILY.xattr.')));
      const name = rel === '' ? 'rootfs' : `rootfs/${rel}`;
      const linkname = kind === 'link' ? `rootfs/${linkTarget}` : header.linkname;
      const copy = { ...header, name, linkname, pax: Object.keys(pax).length ? pax : undefined };
      if (kind === 'file') await addEntry(pack, copy, body);
      else await Promise.all([addEntry(pack, copy), drain(body)]);
    });
  });
  return parseImageManifest(bytes, out);
}
