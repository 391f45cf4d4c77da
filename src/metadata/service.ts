// The appc metadata service (spec/ace.md "App Container Metadata Service"):
// an HTTP handler over the state directory. Every request starts with a
// pod's token, /<token>/acMetadata/v1/...; a request without a valid token
// gets 403 whatever its path, so it learns nothing, not even which paths
// exist. Endpoints: docs/metadata.md.
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ImageId } from '../spec/index.js';
import { parseForm } from './form.js';
import { z } from 'zod';
import { AnnotationList, appAnnotations, asServed, readPodView, type PodView, type ServedApp } from './pod-view.js';
import { podHmacKey, podOfToken } from './secrets.js';

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=us-ascii';
/** Forms to sign are small; a larger body is refused before it is read whole. */
export const MAX_FORM_BYTES = 1 << 20;
const SIGNATURE_BYTES = 64; // HMAC-SHA512
/** Entries under apps/<name>/. */
const APP_ENTRIES = new Set(['annotations', 'image/manifest', 'image/id']);
const ImageAnnotations = z.looseObject({ annotations: AnnotationList });

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const sign = (key: Buffer, content: Buffer) => createHmac('sha512', key).update(content).digest();

interface Reply {
  type: string;
  body: string | Buffer;
}
const json = (value: unknown): Reply => ({ type: JSON_TYPE, body: JSON.stringify(value) });
const text = (value: string): Reply => ({ type: TEXT_TYPE, body: value });

async function readForm(req: IncomingMessage): Promise<Map<string, Buffer>> {
  const type = (req.headers['content-type'] ?? 'application/x-www-form-urlencoded').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new HttpError(415, 'the form must be application/x-www-form-urlencoded');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new HttpError(413, `the form is larger than ${MAX_FORM_BYTES} bytes`, { Connection: 'close' });
    chunks.push(chunk);
  }
  try {
    return parseForm(Buffer.concat(chunks));
  } catch (e) {
    throw new HttpError(400, `bad form: ${(e as Error).message}`);
  }
}

function field(form: Map<string, Buffer>, name: string): Buffer {
  const value = form.get(name);
  if (value === undefined) throw new HttpError(400, `the form has no field ${name}`);
  return value;
}

/** The request of one pod, after its token was checked. */
interface PodRequest {
  uuid: string;
  method: string;
  /** Path segments after /acMetadata/v1. */
  route: string[];
  req: IncomingMessage;
}

export class MetadataService {
  /** Image manifests by image ID: content-addressed, so they never change. */
  private readonly imageManifests = new Map<string, Buffer>();

  constructor(readonly stateDir: string) {}

  /** The node:http request handler. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.answer(req)
      .then(({ type, body }) => {
        res.writeHead(200, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      })
      .catch((e: unknown) => {
        const err = e instanceof HttpError ? e : new HttpError(500, 'internal error');
        if (!(e instanceof HttpError)) process.stderr.write(`sprocket metadata-service: ${req.method} ${redact(req.url)}: ${(e as Error).message}\n`);
        const body = `${err.message}\n`;
        res.writeHead(err.status, { ...err.headers, 'Content-Type': TEXT_TYPE, 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      });
  };

  private async answer(req: IncomingMessage): Promise<Reply> {
    const pathname = (req.url ?? '').split('?')[0]!;
    const [empty, token = '', ...rest] = pathname.split('/');
    const uuid = empty === '' ? await podOfToken(this.stateDir, token) : null;
    if (!uuid) throw new HttpError(403, 'forbidden');
    if (rest[0] !== 'acMetadata' || rest[1] !== 'v1') throw new HttpError(404, 'not found');
    return this.route({ uuid, method: req.method ?? '', route: rest.slice(2), req });
  }

  private async route(r: PodRequest): Promise<Reply> {
    const [top, ...sub] = r.route;
    const at = sub.join('/');
    if (top === 'pod') {
      if (at === 'annotations') return this.get(r, async () => json(asServed((await this.pod(r.uuid)).pod.annotations)));
      if (at === 'manifest') return this.get(r, async () => ({ type: JSON_TYPE, body: (await this.pod(r.uuid)).raw }));
      if (at === 'uuid') return this.get(r, async () => text(r.uuid));
      if (at === 'hmac/sign') return this.post(r, () => this.sign(r));
      if (at === 'hmac/verify') return this.post(r, () => this.verify(r));
    }
    if (top === 'apps' && sub.length >= 2) {
      const entry = sub.slice(1).join('/');
      if (APP_ENTRIES.has(entry)) return this.get(r, async () => this.appEntry(await this.app(r.uuid, sub[0]!), entry));
    }
    throw new HttpError(404, 'not found');
  }

  private get(r: PodRequest, answer: () => Promise<Reply>): Promise<Reply> {
    if (r.method !== 'GET') throw new HttpError(405, 'method not allowed', { Allow: 'GET' });
    return answer();
  }

  private post(r: PodRequest, answer: () => Promise<Reply>): Promise<Reply> {
    if (r.method !== 'POST') throw new HttpError(405, 'method not allowed', { Allow: 'POST' });
    return answer();
  }

  private pod(uuid: string): Promise<PodView> {
    return readPodView(this.stateDir, uuid);
  }

  private async app(uuid: string, name: string) {
    const app = (await this.pod(uuid)).pod.apps.find((a) => a.name === name);
    if (!app) throw new HttpError(404, `no app ${name} in this pod`);
    return app;
  }

  private async imageManifest(id: string): Promise<Buffer> {
    const cached = this.imageManifests.get(id);
    if (cached) return cached;
    if (!ImageId.safeParse(id).success) throw new Error(`the pod manifest names the image ${JSON.stringify(id)}`);
    // The store's layout (docs/on-disk-format.md): the manifest as imported.
    const bytes = await fs.readFile(path.join(this.stateDir, 'images', id, 'manifest'));
    this.imageManifests.set(id, bytes);
    return bytes;
  }

  private async appEntry(app: ServedApp, entry: string): Promise<Reply> {
    if (entry === 'image/id') return text(app.image.id);
    const manifest = await this.imageManifest(app.image.id);
    if (entry === 'image/manifest') return { type: JSON_TYPE, body: manifest };
    const image = ImageAnnotations.parse(JSON.parse(manifest.toString('utf8')));
    return json(appAnnotations(image.annotations, app.annotations));
  }

  private async sign(r: PodRequest): Promise<Reply> {
    const content = field(await readForm(r.req), 'content');
    const key = await podHmacKey(this.stateDir, r.uuid);
    if (!key) throw new HttpError(403, 'forbidden');
    return text(sign(key, content).toString('base64'));
  }

  private async verify(r: PodRequest): Promise<Reply> {
    const form = await readForm(r.req);
    const content = field(form, 'content');
    const uuid = field(form, 'uuid').toString('utf8');
    // An unescaped + of base64 arrives as a space; base64 has no spaces.
    const signature = Buffer.from(field(form, 'signature').toString('latin1').replaceAll(' ', '+'), 'base64');
    const key = await podHmacKey(this.stateDir, uuid);
    if (!key || signature.length !== SIGNATURE_BYTES || !timingSafeEqual(sign(key, content), signature)) throw new HttpError(403, 'forbidden');
    return text('');
  }
}

/** A request's URL for the log, without the token. */
const redact = (url = '') => url.replace(/^\/[^/]*/, '/<token>');
