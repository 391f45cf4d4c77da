// The systemd generator of pod unit files (systemd.generator(7), docs/units.md):
// every NAME.pod of POD_UNIT_DIRS becomes NAME.service in the generator's
// output directory (and NAME.socket when it publishes ports), linked into
// the .wants/.requires of its [Install] targets (a generated unit cannot be enabled with systemctl enable: the
// file says it). Runs at boot and at every daemon-reload, before D-Bus: no
// systemd calls. A bad file is reported and skipped; the others are written.
import fs from 'node:fs/promises';
import path from 'node:path';
import { SprocketError, usage } from '../errors.js';
import { parseRunArgs } from '../cli/run-args.js';
import type { PodRequest } from '../pod/request.js';
import { podLimits } from '../../stage1-nspawn/pod-limits.js';
import { installLinks, parsePodUnitFile, podServiceText, podSocketText } from './pod-unit-file.js';

/** Where pod unit files are read from; a name in an earlier directory hides the same name in a later one. */
export const POD_UNIT_DIRS = ['/etc/sprocket/systemd', '/run/sprocket/systemd', '/usr/lib/sprocket/systemd'];

/** A unit name systemd accepts for a plain (not template) service. */
const UNIT_NAME = /^[A-Za-z0-9:_.\\-]+$/;

export interface GeneratorResult {
  /** The services written. */
  written: string[];
  /** One per pod unit file that was not turned into a service. */
  errors: SprocketError[];
}

/**
 * The service of pod unit file `file`, its socket when it publishes ports
 * (Port=: the socket starts the pod on the first connection), and the
 * [Install] links, of the socket if there is one, else of the service.
 * Throws, naming the file, line and key, if the file is bad.
 */
export async function serviceOfPodFile(file: string): Promise<{ text: string; socket?: string; links: ReturnType<typeof installLinks> }> {
  const text = await fs.readFile(file, 'utf8').catch((e: Error) => {
    throw new SprocketError('io', `cannot read: ${e.message}`, { file });
  });
  const unit = parsePodUnitFile(text, file, path.basename(file, '.pod'));
  const request = checkRunArgs(unit.runArgs, file);
  const ports = request.network?.ports ?? [];
  return { text: podServiceText(unit, file, podLimits(request.limits)), ...(ports.length ? { socket: podSocketText(ports, file) } : {}), links: installLinks(unit) };
}

/** The [Pod] section must make a command line that run accepts; the error names the file. */
export function checkRunArgs(argv: string[], file: string): PodRequest {
  try {
    const request = parseRunArgs(argv, {});
    if (request.detach || request.interactive || request.uuidFileSave || request.unitMode) {
      throw usage('an inline pod runs in its service: no --detach, --interactive, --uuid-file-save or --unit-mode');
    }
    return request;
  } catch (e) {
    if (!(e instanceof SprocketError)) throw e;
    throw new SprocketError(e.kind, e.message, { file, field: e.field ? `[Pod] ${e.field}` : '[Pod]', ...(e.hint ? { hint: e.hint } : {}) });
  }
}

export async function generateUnits(outDir: string, dirs = POD_UNIT_DIRS): Promise<GeneratorResult> {
  const result: GeneratorResult = { written: [], errors: [] };
  const seen = new Set<string>();
  for (const dir of dirs) {
    const names = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') result.errors.push(new SprocketError('io', `cannot read the directory: ${e.message}`, { file: dir }));
      return [];
    });
    for (const name of names.filter((n) => n.endsWith('.pod')).sort()) {
      const service = `${name.slice(0, -'.pod'.length)}.service`;
      if (seen.has(service)) continue;
      seen.add(service);
      const file = path.join(dir, name);
      try {
        if (!UNIT_NAME.test(service)) throw usage(`${name} cannot name a service: letters, digits and :_.\\- only`, { file });
        const { text, socket, links } = await serviceOfPodFile(file);
        const socketName = service.replace(/\.service$/, '.socket');
        await fs.writeFile(path.join(outDir, service), text);
        if (socket) await fs.writeFile(path.join(outDir, socketName), socket);
        const enabled = socket ? socketName : service;
        for (const link of links) {
          await fs.mkdir(path.join(outDir, link.dir), { recursive: true });
          await fs.symlink(`../${enabled}`, path.join(outDir, link.dir, enabled)).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'EEXIST') throw e;
          });
        }
        result.written.push(service);
      } catch (e) {
        result.errors.push(e instanceof SprocketError ? e : new SprocketError('io', (e as Error).message, { file }));
      }
    }
  }
  return result;
}
