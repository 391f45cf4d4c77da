// The registry rows of bench/image-import (issue 11): `sprocket fetch
// docker://` of a 3-layer OCI image (busybox, then two layers of random
// files) from a real registry (Debian's docker-registry with TLS and basic
// auth, test/support/registry.ts) beside `skopeo copy` of the same image to a
// local OCI layout. Both run in one test host, on its loopback, each round
// into a fresh directory, in rotating order; the times include starting the
// command in the host (about the same for both).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { bootHost } from '../../test/support/host.js';
import { CLI, IN_HOST, onMachine } from '../../test/support/pods.js';
import { buildOciLayout, skopeoCopy, startRegistry, writeDockerCredentials } from '../../test/support/registry.js';

const LAYOUT = `${IN_HOST}/bench-oci`;
const REGISTRY_PORT = 5443;

export interface RegistryPull {
  /** Milliseconds per round. */
  fetch: number[];
  skopeo: number[];
  /** Random bytes in the two upper layers. */
  bytes: number;
}

export async function registryPull(mib: number, rounds: number): Promise<RegistryPull> {
  const host = await bootHost('bench-registry-pull');
  try {
    const reg = await startRegistry(host, REGISTRY_PORT);
    await writeDockerCredentials(host, reg);
    const half = Math.max(1, Math.round((mib * 1024 * 1024) / 2));
    const layer = (tag: string) => ({ tag, edit: (rootfs: string) => fs.writeFile(path.join(rootfs, `data-${tag}`), randomBytes(half)) });
    await buildOciLayout(onMachine(host, LAYOUT), [layer('l2'), layer('l3')]);
    const ref = `docker://${reg.address}/bench/app:v3`;
    await skopeoCopy(host, reg, `oci:${LAYOUT}:l3`, ref);
    const result: RegistryPull = { fetch: [], skopeo: [], bytes: 2 * half };
    const time = async (fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    const runs = {
      fetch: (i: number) => host.run(['node', CLI, '--dir', `${IN_HOST}/bench-fetch-${i}`, '--local-config', reg.localConfig, 'fetch', '--insecure-options=image', ref]),
      skopeo: (i: number) => skopeoCopy(host, reg, ref, `oci:${IN_HOST}/bench-skopeo-${i}:v3`),
    };
    for (let i = 0; i < rounds; i++) {
      const order = (['fetch', 'skopeo'] as const).slice(i % 2).concat((['fetch', 'skopeo'] as const).slice(0, i % 2));
      for (const what of order) result[what].push(await time(() => runs[what](i)));
    }
    return result;
  } finally {
    await host.down();
  }
}
