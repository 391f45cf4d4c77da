// The secrets of a pod (run --secret NAME=FILE, stage1-nspawn/secrets.ts):
// which app gets which file, and the check that each file can be read, made
// when the pod is prepared and again when it starts: nspawn reads the files
// only once the pod's unit runs, where a missing one would end the pod.
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { invalid, SprocketError, type ErrorOrigin } from '../errors.js';
import type { Annotation } from '../spec/index.js';
import { SECRETS_ANNOTATION, UNIT_CREDENTIALS_MAX_BYTES } from '../../stage1-nspawn/secrets.js';
import type { PodPlan } from '../../stage1-nspawn/plan.js';
import type { PodRequest, SecretRequest } from './request.js';

const FLAG = '--secret';

/** App `i`'s secrets: the pod's (--secret before the first image), one of the same name replaced by the app's own. */
export function appSecrets(request: PodRequest, i: number): SecretRequest[] {
  const own = request.apps[i]?.secrets ?? [];
  return [...(request.secrets ?? []).filter((s) => !own.some((o) => o.name === s.name)), ...own];
}

/**
 * An app's annotations in the reified manifest, with the names of its
 * secrets (SECRETS_ANNOTATION) when it has some. One given by the operator
 * is refused: it would name secrets the app does not get.
 */
export function withSecretNames(annotations: Annotation[] | undefined, secrets: SecretRequest[], where: ErrorOrigin): Annotation[] | undefined {
  if (annotations?.some((a) => a.name === SECRETS_ANNOTATION)) {
    throw invalid(`annotation ${SECRETS_ANNOTATION} is sprocket's record of the app's secrets`, { ...where, hint: 'give secrets with --secret NAME=FILE' });
  }
  if (!secrets.length) return annotations;
  return [...(annotations ?? []), { name: SECRETS_ANNOTATION, value: secrets.map((s) => s.name).join(',') }];
}

/**
 * Every secret file of the plan is a regular file that this process can
 * open for reading, and each app's add up to what systemd gives a unit.
 * Errors name the file and the secret. The files are opened, not read.
 */
export function checkSecretFiles(plan: PodPlan): void {
  for (const app of plan.apps) {
    let total = 0;
    for (const s of app.secrets ?? []) {
      const where = { file: s.source, field: FLAG };
      let fd: number;
      try {
        // Non-blocking: a FIFO would wait for a writer; it is refused below.
        fd = openSync(s.source, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'ENXIO') throw notRegular(s.name, app.name, where); // a socket
        throw new SprocketError(err.code === 'ENOENT' ? 'not-found' : 'io', `cannot read secret ${s.name} of app ${app.name}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, where);
      }
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) throw notRegular(s.name, app.name, where);
        total += st.size;
      } finally {
        closeSync(fd);
      }
      if (total > UNIT_CREDENTIALS_MAX_BYTES) {
        throw invalid(`the secrets of app ${app.name} come to ${total} bytes with ${s.name}: systemd gives a unit at most ${UNIT_CREDENTIALS_MAX_BYTES} (1 MiB)`, where);
      }
    }
  }
}

const notRegular = (secret: string, app: string, where: { file: string; field: string }) => invalid(`secret ${secret} of app ${app} is not a regular file`, where);
