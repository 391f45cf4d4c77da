// appc meta discovery (spec/discovery.md): turns an image name and labels
// into the URLs of the ACI, its signature and the publisher's public keys by
// reading <meta name="ac-discovery"> tags from https://{name}?ac-discovery=1,
// walking up the name's path until a page has tags for it.
import { SprocketError, invalid, type ErrorOrigin } from '../errors.js';
import { AcIdentifier } from '../spec/identifiers.js';
import { getSmall, type Transport } from './http.js';
import { describeRef, type ImageRef } from './image-ref.js';

/** An image asked for by name and labels (version, os, arch, ...). */
export type NamedImage = Extract<ImageRef, { by: 'name' }>;

/** What discovery found for one image. */
export interface Endpoints {
  aci: string;
  signature: string;
  /** Public keys the publisher offers for the matching prefix. */
  keys: string[];
}

const NODE_ARCH: Record<string, string> = { x64: 'amd64', ia32: 'i386', arm64: 'aarch64', arm: 'armv7l', ppc64: 'ppc64le', s390x: 's390x' };

/** os and arch of this host, as appc labels (spec/types.md, OS/arch legal values). */
export const hostLabels = (): Record<string, string> => ({ os: 'linux', arch: NODE_ARCH[process.arch] ?? process.arch });

/**
 * Refuses a name that is not an AC Identifier, or whose path has . or ..
 * segments (allowed by the spec, but such a name would step out of its
 * place in a URL or in the trusted key directories).
 */
export function checkName(name: string, origin: ErrorOrigin): string {
  const r = AcIdentifier.safeParse(name);
  if (!r.success) throw invalid(r.error.issues[0]!.message, origin);
  if (name.split('/').some((s) => s === '.' || s === '..' || s === '')) throw invalid(`${JSON.stringify(name)} has an empty, . or .. path segment`, origin);
  return name;
}

export const checkImageName = (image: NamedImage): NamedImage => {
  checkName(image.name, { file: describeRef(image.name, image.labels), field: 'name' });
  return image;
};

/** The labels used to render templates: the host's os/arch and version "latest" unless given. */
export const discoveryLabels = (ref: NamedImage): Record<string, string> => ({ version: 'latest', ...hostLabels(), ...ref.labels });

interface MetaTag {
  kind: 'ac-discovery' | 'ac-discovery-pubkeys';
  prefix: string;
  url: string;
}

/** Finds the ACI, signature and key URLs for `ref`. */
export async function discoverImage(ref: NamedImage, transport: Transport): Promise<Endpoints> {
  const labels = discoveryLabels(ref);
  const found = await walkUp(ref.name, transport, (tags) => {
    const templates = tags.filter((t) => t.kind === 'ac-discovery' && ref.name.startsWith(t.prefix));
    const best = templates
      .map((t) => ({ t, aci: render(t.url, ref.name, labels, 'aci'), signature: render(t.url, ref.name, labels, 'aci.asc') }))
      .filter((c) => c.aci && c.signature)
      // the longest prefix, then the template that uses the most labels (spec: best matching)
      .sort((a, b) => b.t.prefix.length - a.t.prefix.length || b.aci!.labels - a.aci!.labels)[0];
    return best && { aci: best.aci!.url, signature: best.signature!.url, keys: pubkeys(tags, ref.name) };
  });
  return found;
}

/** Key URLs published for `prefix` (`sprocket trust --prefix P` without a key). */
export async function discoverPubkeys(prefix: string, transport: Transport): Promise<string[]> {
  return walkUp(prefix, transport, (tags) => {
    const keys = pubkeys(tags, prefix);
    return keys.length ? keys : undefined;
  });
}

const pubkeys = (tags: MetaTag[], name: string) =>
  tags.filter((t) => t.kind === 'ac-discovery-pubkeys' && name.startsWith(t.prefix)).map((t) => t.url);

/** Asks name, then its parents, until `pick` finds what it wants in a page's tags. */
async function walkUp<T>(name: string, transport: Transport, pick: (tags: MetaTag[]) => T | undefined): Promise<T> {
  const tried: string[] = [];
  for (let path = name; path; path = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '') {
    for (const scheme of transport.allowHttp ? ['https', 'http'] : ['https']) {
      const url = `${scheme}://${path}?ac-discovery=1`;
      let page: string;
      try {
        page = (await getSmall(url, transport)).body.toString('utf8');
      } catch (e) {
        if (!(e instanceof SprocketError)) throw e;
        tried.push(`${url}: ${e.message}`);
        continue;
      }
      const result = pick(parseMetaTags(page));
      if (result !== undefined) return result;
      tried.push(`${url}: no matching meta tags`);
    }
  }
  throw new SprocketError('not-found', 'meta discovery found no matching ac-discovery tags', {
    file: name,
    hint: `tried:\n    ${tried.join('\n    ')}${transport.allowHttp ? '' : '\n  (https only; --insecure-options=http also tries http)'}`,
  });
}

/** <meta name="ac-discovery[-pubkeys]" content="PREFIX URL"> tags of an HTML page. */
export function parseMetaTags(html: string): MetaTag[] {
  const tags: MetaTag[] = [];
  for (const [tag] of html.matchAll(/<meta\b[^>]*>/gi)) {
    const attrs: Record<string, string> = {};
    for (const m of tag.matchAll(/([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
    const kind = attrs.name;
    if (kind !== 'ac-discovery' && kind !== 'ac-discovery-pubkeys') continue;
    const [prefix, url, ...rest] = (attrs.content ?? '').trim().split(/\s+/);
    if (prefix && url && rest.length === 0) tags.push({ kind, prefix, url });
  }
  return tags;
}

/** Fills {name}, {ext} and label placeholders; undefined when one cannot be filled. */
function render(template: string, name: string, labels: Record<string, string>, ext: string): { url: string; labels: number } | undefined {
  if (!template.includes('{ext}')) return undefined;
  let used = 0;
  let missing = false;
  const url = template.replace(/\{([a-z0-9._~-]+)\}/g, (_, key: string) => {
    if (key === 'name') return name;
    if (key === 'ext') return ext;
    const value = labels[key];
    if (value === undefined) {
      missing = true;
      return '';
    }
    used++;
    return encodeURIComponent(value);
  });
  return missing ? undefined : { url, labels: used };
}
