// Latency of the metadata service: N sequential requests per endpoint over
// one keep-alive connection to a real server on 127.0.0.1, against a state
// directory with 100 registered pods. Prints p50/p99/max in milliseconds.
// A benchmark that prints figures, not a test.
// Run: npm run build && node dist/bench/metadata-latency.js [N]
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { listen } from '../src/metadata/listen.js';
import { registerPod } from '../src/metadata/register.js';
import { MetadataService } from '../src/metadata/service.js';
import { POD_A, podFile, stateDir } from '../test/support/metadata-state.js';

const n = Number(process.argv[2] ?? 2000);
const dir = await stateDir();
const [server] = await listen([{ host: '127.0.0.1', port: 0 }], new MetadataService(dir).handle);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
try {
  for (let i = 0; i < 100; i++) {
    const uuid = `0a0a0a0a-0000-4000-8000-${String(i).padStart(12, '0')}`;
    await fs.mkdir(path.join(dir, 'pods', uuid), { recursive: true });
    await fs.writeFile(path.join(dir, 'pods', uuid, 'pod'), podFile(POD_A));
    await registerPod(dir, uuid);
  }
  const { token } = await registerPod(dir, POD_A);
  const port = (server!.address() as AddressInfo).port;
  const request = (p: string, body?: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, agent, method: body ? 'POST' : 'GET', path: `/${token}/acMetadata/v1/${p}`, headers: body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {} }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`${p}: ${res.statusCode}`));
        res.resume().on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  const ms = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3);
  console.log(`endpoint                       p50 ms   p99 ms   max ms   (${n} requests each)`);
  for (const [p, body] of [['pod/uuid'], ['pod/manifest'], ['apps/web/annotations'], ['apps/web/image/manifest'], ['pod/hmac/sign', 'content=hello']] as [string, string?][]) {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      await request(p, body);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    console.log(`${p.padEnd(30)} ${ms(times, 0.5).padStart(6)}   ${ms(times, 0.99).padStart(6)}   ${ms(times, 1).padStart(6)}`);
  }
} finally {
  agent.destroy();
  server!.close();
  await fs.rm(dir, { recursive: true, force: true });
}
