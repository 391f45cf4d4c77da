// A client of the registry HTTP API v2 (distribution spec): manifests by
// tag or digest, blobs by digest, and the authentication a registry asks
// for in its 401 answer: Basic, or Bearer through a token from the realm the
// challenge names (Docker's token flow: realm, service, scope). The
// credentials come from docker.d; they travel in headers only and never
// appear in a message.
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { pipeline, type Readable, Transform } from 'node:stream';
import { SprocketError, invalid } from '../../errors.js';
import { basicHeader, type BasicCredentials } from '../credentials.js';
import { ioError, open, statusError, type Transport } from '../http.js';
import { READ_CHUNK_BYTES } from '../blob.js';
import { progressStream } from '../fetch-progress.js';
import type { Descriptor } from './schema.js';

/** Largest manifest or config read into memory. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

/** Implements OciBlobs (import.ts): the blobs of one repository. */
export class RegistryClient {
  private authorization: string | undefined;
  private readonly base: string;
  /** The repository's URL, for messages. */
  readonly source: string;

  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly transport: Transport,
    private readonly credentials: BasicCredentials | undefined,
  ) {
    this.base = `${transport.allowHttp ? 'http' : 'https'}://${registry}/v2/${repository}`;
    this.source = this.base;
  }

  /** A manifest: its bytes, media type and digest (the registry's, checked against the bytes). */
  async manifest(reference: string, accept: string): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const url = `${this.base}/manifests/${reference}`;
    const res = await this.send(url, { accept });
    const body = await readSmall(res, url);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const stated = header(res.headers['docker-content-digest']);
    if ((reference.startsWith('sha256:') && reference !== digest) || (stated && stated !== digest)) {
      throw invalid(`the manifest has digest ${digest}, but ${stated ?? reference} was expected`, { file: url });
    }
    return { body, mediaType: header(res.headers['content-type'])?.split(';')[0] ?? '', digest };
  }

  /** The bytes of the blob of `d`, its size and digest checked as they stream (verifiedStream). */
  async blobStream(d: Descriptor): Promise<Readable> {
    const url = `${this.base}/blobs/${d.digest}`;
    return verifiedStream(await this.send(url, {}), d, url);
  }

  /** A small blob (the image config) in memory, verified. */
  async smallBlob(d: Descriptor): Promise<Buffer> {
    if (d.size > MAX_DOCUMENT_BYTES) throw invalid(`the blob is ${d.size} bytes, more than ${MAX_DOCUMENT_BYTES}`, { file: `${this.base}/blobs/${d.digest}` });
    const url = `${this.base}/blobs/${d.digest}`;
    const body = await readSmall(await this.send(url, {}), url);
    checkDigest(body.length, createHash('sha256').update(body).digest('hex'), d, url);
    return body;
  }

  /** GET with the authorization earned so far; on 401, earn it as the challenge asks and try once more. */
  private async send(url: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
    const attempt = () => open(url, this.transport, this.authorization ? { ...headers, authorization: this.authorization } : headers);
    let { res } = await attempt();
    if (res.statusCode === 401) {
      res.resume();
      this.authorization = await this.authorize(header(res.headers['www-authenticate']) ?? '', url);
      ({ res } = await attempt());
      if (res.statusCode === 401) {
        res.resume();
        throw this.refused(url);
      }
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      res.resume();
      throw statusError(res, url);
    }
    return res;
  }

  private refused(url: string): SprocketError {
    return new SprocketError('untrusted', this.credentials ? 'the registry refused the credentials (HTTP 401)' : 'the registry asks for credentials (HTTP 401)', {
      file: url,
      hint: this.credentials
        ? `check the user and password for ${this.registry} in docker.d (see docs/fetch.md)`
        : `put credentials for ${this.registry} in /etc/sprocket/docker.d/ (see docs/fetch.md)`,
    });
  }

  /** The Authorization header for a challenge: Basic with the credentials, or a Bearer token from the realm. */
  private async authorize(challenge: string, url: string): Promise<string> {
    const { scheme, params } = parseChallenge(challenge);
    if (scheme === 'basic') {
      if (!this.credentials) throw this.refused(url);
      return basicHeader(this.credentials);
    }
    if (scheme !== 'bearer' || !params.realm) throw new SprocketError('io', `unsupported authentication challenge ${JSON.stringify(scheme)}`, { file: url });
    const realm = new URL(params.realm);
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', params.scope ?? `repository:${this.repository}:pull`);
    const { res } = await open(realm.href, this.transport, this.credentials ? { authorization: basicHeader(this.credentials) } : {});
    if (res.statusCode === 401 || res.statusCode === 403) {
      res.resume();
      throw this.refused(realm.origin + realm.pathname);
    }
    if ((res.statusCode ?? 0) >= 300) {
      res.resume();
      throw statusError(res, realm.origin + realm.pathname);
    }
    let token: unknown;
    try {
      const answer = JSON.parse((await readSmall(res, realm.href)).toString('utf8')) as { token?: unknown; access_token?: unknown };
      token = answer.token ?? answer.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || !token) throw ioError('the token service answered without a token', realm.origin + realm.pathname);
    return `Bearer ${token}`;
  }
}

/** `Bearer realm="...",service="...",scope="..."` as a scheme and its parameters. */
export function parseChallenge(text: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\S+)\s*(.*)$/.exec(text);
  const params: Record<string, string> = {};
  for (const p of (m?.[2] ?? '').matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: (m?.[1] ?? '').toLowerCase(), params };
}

async function readSmall(res: http.IncomingMessage, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > MAX_DOCUMENT_BYTES) {
      res.destroy();
      throw invalid(`document larger than ${MAX_DOCUMENT_BYTES} bytes`, { file: url });
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function checkDigest(size: number, hex: string, d: Descriptor, where: string): void {
  if (size !== d.size) throw invalid(`the blob is ${size} bytes, but the manifest says ${d.size}`, { file: where, field: d.digest });
  if (`sha256:${hex}` !== d.digest) throw invalid(`the blob has digest sha256:${hex}, but the manifest says ${d.digest}`, { file: where, field: d.digest });
}

/**
 * The bytes of `from`, hashed and counted as they pass: the stream fails at
 * once when there are more bytes than the descriptor says, and at the end,
 * instead of ending, when their size or digest differ from it. A failure of
 * `from` (the connection, the file) is a failed transfer; destroying the
 * stream returned stops `from`. The bytes come out in chunks of 1 MiB, not
 * in TLS records of 16 KiB: every stage after it (decompression, two tar
 * readers, the writes of the tree) then does a sixtieth of the trips.
 */
export function verifiedStream(from: Readable, d: Descriptor, where: string): Readable {
  const hash = createHash('sha256');
  let size = 0;
  let held: Buffer[] = [];
  let heldBytes = 0;
  const release = () => {
    const chunk = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
    held = [];
    heldBytes = 0;
    return chunk;
  };
  const verify = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > d.size) return cb(invalid(`the blob is larger than the ${d.size} bytes the manifest says`, { file: where, field: d.digest }));
      hash.update(chunk);
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < READ_CHUNK_BYTES) return cb();
      cb(null, release());
    },
    flush(cb) {
      try {
        checkDigest(size, hash.digest('hex'), d, where);
        cb(null, heldBytes ? release() : undefined);
      } catch (e) {
        cb(e as Error);
      }
    },
    destroy(e, cb) {
      cb(e && !(e instanceof SprocketError) ? ioError(`transfer failed: ${e.message}`, where, undefined, e) : e);
    },
  });
  pipeline(from, progressStream(d.digest.slice(0, 19), 0, d.size), verify, () => {});
  return verify;
}

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
