// The image an OCI image becomes: an ACI without files of its own whose
// dependencies are its layer images, bottom first, and whose app is the
// OCI config mapped to appc (docs/images.md, "OCI images"). Whiteouts of
// upper layers become its pathWhitelist: the store renders the layers in
// order, then drops every path the list does not name.
import { invalid } from '../../errors.js';
import { AcIdentifier, AcName, type ImageManifest } from '../../spec/index.js';
import type { ImageConfig } from './schema.js';

/** What the stacking needs to know of one layer. */
export interface LayerFacts {
  /** Every path of the layer's own tree (inside rootfs, no leading slash). */
  paths: string[];
  whiteouts: string[];
  opaque: string[];
}

/**
 * The paths left when the layers are stacked bottom to top, or undefined
 * when no layer deletes anything (then no whitelist is needed). A layer's
 * whiteouts hide what the layers below it have; its own entries stay.
 */
export function stackedPaths(layers: LayerFacts[]): string[] | undefined {
  if (layers.every((l) => !l.whiteouts.length && !l.opaque.length)) return undefined;
  const present = new Set<string>();
  const drop = (dir: string, self: boolean) => {
    const prefix = dir === '' ? '' : `${dir}/`;
    for (const p of present) if ((self && p === dir) || p.startsWith(prefix)) present.delete(p);
  };
  for (const layer of layers) {
    for (const dir of layer.opaque) drop(dir, false);
    for (const w of layer.whiteouts) drop(w, true);
    for (const p of layer.paths) present.add(p);
  }
  // An empty list would keep everything: "/" alone keeps nothing but the root.
  return present.size ? [...present].sort().map((p) => `/${p}`) : ['/'];
}

export interface AppImageInput {
  name: string;
  labels: Record<string, string>;
  /** Layer images, bottom first. */
  layers: { id: string; name: string }[];
  whitelist?: string[];
  /** Where the image came from, recorded as annotations. */
  origin: Record<string, string>;
  config: ImageConfig;
  /** For messages. */
  source: string;
}

export function appImageManifest(input: AppImageInput): ImageManifest {
  const c = input.config.config ?? {};
  const exec = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  const [user, group] = userAndGroup(c.User);
  const annotations = [
    ...Object.entries(input.origin).map(([name, value]) => ({ name, value })),
    ...Object.entries(c.Labels ?? {}).flatMap(([name, value]) => {
      const n = name.toLowerCase();
      return AcIdentifier.safeParse(n).success && !(n in input.origin) ? [{ name: n, value }] : [];
    }),
  ];
  return {
    acKind: 'ImageManifest',
    acVersion: '0.8.11',
    name: input.name,
    labels: Object.entries(input.labels).map(([name, value]) => ({ name, value })),
    app: {
      ...(exec.length ? { exec } : {}),
      user,
      group,
      ...(c.WorkingDir ? { workingDirectory: absolute(c.WorkingDir, input.source) } : {}),
      environment: (c.Env ?? []).map((e) => environmentVariable(e, input.source)),
      ports: Object.keys(c.ExposedPorts ?? {}).map((p) => port(p, input.source)),
      mountPoints: volumeMountPoints(Object.keys(c.Volumes ?? {}), input.source),
    },
    dependencies: input.layers.map((l) => ({ imageName: l.name, imageID: l.id })),
    ...(input.whitelist ? { pathWhitelist: input.whitelist } : {}),
    annotations,
  };
}

/** Docker's User: "", "user", "uid", "user:group" or "uid:gid"; an image without one runs as root. */
function userAndGroup(user: string | undefined): [string, string] {
  if (!user) return ['0', '0'];
  const colon = user.indexOf(':');
  return colon < 0 ? [user, '0'] : [user.slice(0, colon) || '0', user.slice(colon + 1) || '0'];
}

function absolute(dir: string, source: string): string {
  if (!dir.startsWith('/')) throw invalid(`WorkingDir ${JSON.stringify(dir)} is not an absolute path`, { file: source, field: 'config.WorkingDir' });
  return dir;
}

function environmentVariable(entry: string, source: string): { name: string; value: string } {
  const eq = entry.indexOf('=');
  if (eq <= 0) throw invalid(`${JSON.stringify(entry)} is not NAME=VALUE`, { file: source, field: 'config.Env' });
  return { name: entry.slice(0, eq), value: entry.slice(eq + 1) };
}

/** "8080/tcp" (the protocol defaults to tcp) becomes the port "8080-tcp". */
function port(spec: string, source: string): { name: string; protocol: string; port: number; count: number } {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(spec);
  const number = Number(m?.[1]);
  if (!m || number < 1 || number > 65535) throw invalid(`${JSON.stringify(spec)} is not PORT[/tcp|udp|sctp]`, { file: source, field: 'config.ExposedPorts' });
  const protocol = m[2] ?? 'tcp';
  return { name: `${number}-${protocol}`, protocol, port: number, count: 1 };
}

/** Each volume path becomes a mount point named after it ("/var/lib/data" is "volume-var-lib-data"). */
function volumeMountPoints(paths: string[], source: string): { name: string; path: string }[] {
  const taken = new Set<string>();
  return paths.sort().map((p) => {
    absolute(p, source);
    const base = `volume-${p.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}`.replace(/-+$/, '');
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
    taken.add(name);
    AcName.parse(name);
    return { name, path: p };
  });
}
