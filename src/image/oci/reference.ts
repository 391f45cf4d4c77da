// docker://[REGISTRY/]REPO[:TAG|@DIGEST], as rkt and Docker read it, and the
// appc name and labels such an image gets in the store.
import { usage } from '../../errors.js';
import { AcIdentifier } from '../../spec/index.js';

export const DOCKER_SCHEME = 'docker://';
const DEFAULT_REGISTRY = 'registry-1.docker.io';

export interface DockerReference {
  /** host[:port] of the registry. */
  registry: string;
  /** library/busybox, org/app ... */
  repository: string;
  tag?: string;
  digest?: string;
  /** The reference as given, for messages. */
  text: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function parseDockerReference(text: string): DockerReference {
  const bad = (why: string) => usage(`${JSON.stringify(text)} is not a docker image reference: ${why}`, { hint: 'use docker://[REGISTRY/]REPOSITORY[:TAG|@sha256:DIGEST]' });
  let rest = text.startsWith(DOCKER_SCHEME) ? text.slice(DOCKER_SCHEME.length) : text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`${JSON.stringify(digest)} is not a sha256 digest`);
  }
  const parts = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) registry = parts.shift()!;
  let tag: string | undefined;
  const last = parts[parts.length - 1]!;
  const colon = last.indexOf(':');
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    parts[parts.length - 1] = last.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`${JSON.stringify(tag)} is not a tag`);
  }
  if (!parts.every((p) => COMPONENT.test(p))) throw bad('the repository must be lowercase letters, digits and separators');
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift('library');
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(registry)) throw bad(`${JSON.stringify(registry)} is not a registry host`);
  return { registry, repository: parts.join('/'), tag: tag ?? (digest ? undefined : 'latest'), digest, text };
}

/** The appc name of the image: registry (":" as "-") and repository, as `127.0.0.1-5000/org/app`. */
export function dockerImageName(ref: DockerReference): string {
  const name = `${ref.registry.toLowerCase().replace(':', '-')}/${ref.repository}`;
  return AcIdentifier.parse(name);
}

/** The reference without scheme, defaults filled in: REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST. */
export const canonicalReference = (ref: DockerReference) => `${ref.registry}/${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}`;
