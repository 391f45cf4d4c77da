// Secrets (run --secret NAME=FILE, docs/pods.md "Secrets"): a file of the
// host handed to one app as a systemd credential, never written into the
// pod's directory. nspawn reads FILE each time the pod starts
// (--load-credential=) and gives it to the pod's systemd as a system
// credential (a ramfs in the pod's own /run); the app's unit takes it with
// LoadCredential=, so the app reads $CREDENTIALS_DIRECTORY/NAME: a
// read-only ramfs of its unit, with its own secrets only. The plan holds
// names and paths, no value.
import type { PlanApp, PodPlan } from './plan.js';

/** App annotation of the reified pod manifest: the names of the app's secrets, comma-separated (status and cat-manifest show names only). */
export const SECRETS_ANNOTATION = 'sprocket.dev/secrets';

/**
 * The pod's system credential of app `app`'s secret `secret`. AC Names hold
 * no '.', so the secrets of two apps never share one, and each app's unit
 * asks for its own alone.
 */
export const podCredential = (app: string, secret: string) => `${app}.${secret}`;

/** The longest credential name systemd takes (a file name). */
export const CREDENTIAL_NAME_MAX = 255;

/** The most credential data systemd 252 gives one unit (CREDENTIALS_TOTAL_SIZE_MAX). */
export const UNIT_CREDENTIALS_MAX_BYTES = 1024 * 1024;

/** nspawn reads every app's secret files when the pod starts: only their paths are on its command line. */
export const secretNspawnArgs = (plan: PodPlan) =>
  plan.apps.flatMap((a) => a.secrets.map((s) => `--load-credential=${podCredential(a.name, s.name)}:${s.source}`));

/** The app's unit takes its own secrets from the pod's systemd (a credential name, not a path, after the colon). */
export const secretLines = (app: PlanApp) => app.secrets.map((s) => `LoadCredential=${s.name}:${podCredential(app.name, s.name)}`);

/** Inside an app's root: where systemd mounts the ramfs of its unit's credentials ($CREDENTIALS_DIRECTORY is below). */
export const APP_CREDENTIALS = '/run/credentials';
