// Patterns that several layers check (the spec's validators, stage1's plan,
// unit properties, the command line, the pod directory): one definition
// each, so that what validates also runs. No zod here: list and status load
// this module and never load zod (docs/performance.md).

/**
 * An environment variable name that systemd's Environment= takes (and the
 * name POSIX describes): letters, digits and '_'. What sprocket runs with.
 */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const isEnvName = (s: string) => ENV_NAME.test(s);
export const ENV_NAME_RULE = 'letters, digits and _, not starting with a digit';

/**
 * An environment variable name in a manifest: spec/aci.md (app.environment)
 * allows '.' and '-' besides ENV_NAME's characters, as actool does; such a
 * name validates, but a pod cannot run with it (src/spec/runnable.ts).
 */
export const SPEC_ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const SPEC_ENV_NAME_RULE = 'letters, digits, _ . and -, not starting with a digit, . or -';

/** A pod UUID as sprocket writes it (lowercase, with dashes). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isUuid = (s: string) => UUID.test(s);

/** An AC name (app, volume, port and mount point names): DNS-label-like. */
export const AC_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const isAcName = (s: string) => AC_NAME.test(s);

/**
 * A secret's name (run --secret NAME=FILE): its file name in the app's
 * $CREDENTIALS_DIRECTORY, so a systemd credential name (a file name, no ':'),
 * narrowed to what unit files and nspawn's --load-credential= take as is.
 */
export const SECRET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const isSecretName = (s: string) => SECRET_NAME.test(s);
export const SECRET_NAME_RULE = '1 to 128 letters, digits, _ . -, starting with a letter, digit or _';
