// Real HTTP and HTTPS servers on a loopback address for fetch tests: a
// throwaway CA made with the openssl command, static routes, and a count of
// hits per path.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * The loopback address the servers of this process listen on: one of 127/8
 * drawn per process, so that two test runs on one machine (each needing the
 * default ports, as discovery does) do not take each other's 443.
 */
export const LOOPBACK = `127.${1 + randomInt(254)}.${randomInt(256)}.${1 + randomInt(254)}`;

export interface TestCa {
  /** PEM file of the CA, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  key: string;
  cert: string;
}

/** A CA and a certificate for 127.0.0.1, LOOPBACK and localhost signed by it. */
export function makeCa(dir: string): TestCa {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=sprocket test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'));
  fs.writeFileSync(f('san.ext'), `subjectAltName=IP:127.0.0.1,IP:${LOOPBACK},DNS:localhost\n`);
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('san.ext'), '-out', f('server.pem'));
  return { caFile: f('ca.pem'), key: fs.readFileSync(f('server.key'), 'utf8'), cert: fs.readFileSync(f('server.pem'), 'utf8') };
}

export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface TestServer {
  /** scheme://LOOPBACK[:port] */
  origin: string;
  routes: Map<string, Route>;
  /** Requests per path (without the query), and the headers of the last one. */
  hits: Map<string, number>;
  lastHeaders: Map<string, http.IncomingHttpHeaders>;
  close(): Promise<void>;
}

/** Listens on LOOPBACK:`port` (0 for any); TLS when `ca` is given. */
export async function startServer(port: number, ca?: TestCa): Promise<TestServer> {
  const routes = new Map<string, Route>();
  const hits = new Map<string, number>();
  const lastHeaders = new Map<string, http.IncomingHttpHeaders>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(p, (hits.get(p) ?? 0) + 1);
    lastHeaders.set(p, req.headers);
    const route = routes.get(p);
    if (route) route(req, res);
    else res.writeHead(404).end('not found');
  };
  const server = ca ? https.createServer({ key: ca.key, cert: ca.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, LOOPBACK, resolve));
  const actual = (server.address() as AddressInfo).port;
  const scheme = ca ? 'https' : 'http';
  const origin = actual === (ca ? 443 : 80) ? `${scheme}://${LOOPBACK}` : `${scheme}://${LOOPBACK}:${actual}`;
  return {
    origin,
    routes,
    hits,
    lastHeaders,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A discovery page with the given meta tags. */
export const discoveryPage = (tags: { name: 'ac-discovery' | 'ac-discovery-pubkeys'; content: string }[]): Route => (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<html><head>${tags.map((t) => `<meta name="${t.name}" content="${t.content}">`).join('\n')}</head></html>`);
};

export interface StaticOptions {
  etag?: string;
  cacheControl?: string;
  /** Honour Range requests (206). */
  ranges?: boolean;
  /** Send only this many bytes of the body, then cut the connection (once). */
  cutAt?: number;
}

/** Serves `body` with ETag / If-None-Match, optional Range and a one-time cut. */
export function staticBody(body: Buffer | string, opts: StaticOptions = {}): Route {
  const data = Buffer.from(body);
  let cut = opts.cutAt;
  return (req, res) => {
    const headers: Record<string, string> = {};
    if (opts.etag) headers.etag = opts.etag;
    if (opts.cacheControl) headers['cache-control'] = opts.cacheControl;
    if (opts.etag && req.headers['if-none-match'] === opts.etag) return void res.writeHead(304, headers).end();
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (opts.ranges && range && (!req.headers['if-range'] || req.headers['if-range'] === opts.etag)) {
      start = Number(range[1]);
      headers['content-range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    }
    headers['content-length'] = String(data.length - start);
    res.writeHead(start ? 206 : 200, headers);
    if (cut !== undefined) {
      // The connection ends (FIN) once the bytes are sent, short of Content-Length. Not a reset
      // (destroy): the client's kernel drops data it has not read yet when a reset arrives.
      res.write(data.subarray(start, cut), () => res.socket?.end());
      cut = undefined;
      return;
    }
    res.end(data.subarray(start));
  };
}
