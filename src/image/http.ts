// HTTP(S) transport for fetching images: redirects, timeouts, TLS options and
// clear errors. The on-disk cache (ETag, max-age, resume) is in http-cache.ts.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { SprocketError } from '../errors.js';
import type { HostAuthorization } from './credentials.js';

/** Which transport checks the operator switched off (--insecure-options). */
export interface Transport {
  /** Plain http:// is allowed (--insecure-options=http). */
  allowHttp: boolean;
  /** Any certificate is accepted (--insecure-options=tls). */
  skipTlsVerify: boolean;
  /** CA certificates (PEM) trusted beside the usual ones (a registry's certs.d). */
  extraCa?: string[];
  /** auth.d: the Authorization header a host gets after it answered 401. */
  hostAuthorization?: HostAuthorization;
}

const MAX_REDIRECTS = 10;
/** A connection that stays silent this long is given up (ms). */
const IDLE_TIMEOUT_MS = Number(process.env.SPROCKET_HTTP_TIMEOUT_MS) || 30_000;

export const ioError = (message: string, url: string, hint?: string, cause?: unknown) =>
  new SprocketError('io', message, { file: url, hint }, { cause });

/** Refuses a URL whose scheme the transport does not allow. */
export function checkScheme(url: URL, transport: Transport): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:') {
    if (transport.allowHttp) return;
    throw new SprocketError('untrusted', 'plain http is not allowed', {
      file: url.href,
      hint: 'use https, or pass --insecure-options=http to accept unencrypted transfers',
    });
  }
  throw new SprocketError('invalid', `unsupported URL scheme ${url.protocol}`, { file: url.href });
}

/**
 * GET a URL and resolve with the final response (after redirects), its body
 * not yet read. Any status other than 2xx/304 is an error naming URL and status.
 */
export async function get(href: string, transport: Transport, headers: Record<string, string> = {}): Promise<{ url: string; res: http.IncomingMessage }> {
  const { url, res } = await open(href, transport, headers);
  const status = res.statusCode ?? 0;
  if ((status >= 200 && status < 300) || status === 304) return { url, res };
  res.resume();
  throw statusError(res, url);
}

export const statusError = (res: http.IncomingMessage, url: string) =>
  new SprocketError(res.statusCode === 404 ? 'not-found' : 'io', `HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim(), { file: url });

/**
 * GET a URL, following redirects, and resolve with the final response
 * whatever its status. A host that answers 401 is asked again with the
 * credentials auth.d has for it. An Authorization header goes only to the
 * origin it was given for, never across a redirect.
 */
export function open(href: string, transport: Transport, headers: Record<string, string> = {}): Promise<{ url: string; res: http.IncomingMessage }> {
  return follow(new URL(href), transport, headers, 0);
}

async function follow(url: URL, transport: Transport, headers: Record<string, string>, hops: number): Promise<{ url: string; res: http.IncomingMessage }> {
  checkScheme(url, transport);
  let res = await request(url, transport, headers);
  const configured = res.statusCode === 401 && !headers.authorization ? transport.hostAuthorization?.(url.host) : undefined;
  if (configured) {
    res.resume();
    res = await request(url, transport, { ...headers, authorization: configured });
  }
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && status !== 304) {
    res.resume();
    const location = res.headers.location;
    if (!location) throw ioError(`HTTP ${status} without a Location header`, url.href);
    if (hops >= MAX_REDIRECTS) throw ioError(`more than ${MAX_REDIRECTS} redirects`, url.href);
    const next = new URL(location, url);
    const { authorization: _dropped, ...rest } = headers;
    return follow(next, transport, next.origin === url.origin ? headers : rest, hops + 1);
  }
  return { url: url.href, res };
}

/**
 * The agent of a transport with a registry's certs.d CAs: its TLS context is
 * made once, the default roots with those CAs added (`addCACert` adds to
 * them, as Node's own tests rely on), where a `ca` list of every root
 * certificate was parsed again for each connection (45 to 90 ms here). Like
 * Node's global agent, which serves the others, it keeps connections open
 * for the next request (a registry pull asks one host for a manifest, a
 * config and each layer); idle ones do not hold the process open.
 */
const agents = new WeakMap<Transport, https.Agent>();

function agentWithCa(transport: Transport, extraCa: string[]): https.Agent {
  let agent = agents.get(transport);
  if (!agent) {
    const secureContext = tls.createSecureContext();
    for (const ca of extraCa) (secureContext.context as { addCACert(pem: string): void }).addCACert(ca);
    agent = new https.Agent({ keepAlive: true, secureContext });
    agents.set(transport, agent);
  }
  return agent;
}

function request(url: URL, transport: Transport, headers: Record<string, string>): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const agent = secure && transport.extraCa?.length ? agentWithCa(transport, transport.extraCa) : undefined;
    const req = (secure ? https : http).get(url, { headers: { 'user-agent': 'sprocket', ...headers }, rejectUnauthorized: !transport.skipTlsVerify, agent }, resolve);
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(ioError(`no answer within ${IDLE_TIMEOUT_MS / 1000} s`, url.href)));
    req.on('error', (e) => reject(e instanceof SprocketError ? e : ioError(`request failed: ${e.message}`, url.href, undefined, e)));
  });
}

/** The whole body of a small document (a discovery page, a key), at most `limit` bytes. */
export async function getSmall(href: string, transport: Transport, limit = 1 << 20): Promise<{ url: string; body: Buffer }> {
  const { url, res } = await get(href, transport);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.destroy();
        throw ioError(`document larger than ${limit} bytes`, url);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (e) {
    throw e instanceof SprocketError ? e : ioError(`transfer failed: ${(e as Error).message}`, url, undefined, e);
  }
  return { url, body: Buffer.concat(chunks) };
}
