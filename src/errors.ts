// Every failure of sprocket itself is a SprocketError. The CLI turns it into
// one message on stderr and one exit code (see docs/exit-codes.md), so that
// scripts can tell sprocket's own failures from an app's exit status.

/** Exit code of every failure of sprocket itself (rkt used the same). */
export const EXIT_FAILURE = 254;
/** Exit code for a command line that could not be parsed. */
export const EXIT_USAGE = 64;

export type ErrorKind =
  | 'usage' // the command line is wrong
  | 'invalid' // a manifest, ACI or other input breaks a rule
  | 'not-found' // an image, pod or file that was named does not exist
  | 'conflict' // the request clashes with existing state (name taken, pod running)
  | 'untrusted' // a signature is missing or made by a key that is not trusted
  | 'io' // the system refused (disk, network, permissions)
  | 'runtime'; // systemd, nspawn or an app did not behave

export interface ErrorOrigin {
  /** The file, URL or object the error is about. */
  file?: string;
  /** JSON path or field inside that file, like app.environment[2].name. */
  field?: string;
  /** What the operator can do about it. */
  hint?: string;
}

export class SprocketError extends Error {
  readonly kind: ErrorKind;
  readonly file?: string;
  readonly field?: string;
  readonly hint?: string;

  constructor(kind: ErrorKind, message: string, origin: ErrorOrigin = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SprocketError';
    this.kind = kind;
    this.file = origin.file;
    this.field = origin.field;
    this.hint = origin.hint;
  }

  get exitCode(): number {
    return this.kind === 'usage' ? EXIT_USAGE : EXIT_FAILURE;
  }

  /** `file: field: message` followed by the hint, as printed by the CLI. */
  describe(): string {
    const where = [this.file, this.field].filter(Boolean).join(': ');
    const head = where ? `${where}: ${this.message}` : this.message;
    return this.hint ? `${head}\n  hint: ${this.hint}` : head;
  }
}

export const invalid = (message: string, origin?: ErrorOrigin) => new SprocketError('invalid', message, origin);
export const notFound = (message: string, origin?: ErrorOrigin) => new SprocketError('not-found', message, origin);
export const usage = (message: string, origin?: ErrorOrigin) => new SprocketError('usage', message, origin);

/** The message of any failure, as the CLI would print it. */
export const describeError = (e: unknown) => (e instanceof SprocketError ? e.describe() : (e as Error)?.message ?? String(e));

/**
 * One error for a command over many objects (pods, images, mounts) that
 * failed for some: each is named on a line of its own (the others were
 * handled), and the exit status says that something failed.
 */
export function failedFor(what: string, failures: { name: string; error: unknown }[]): SprocketError {
  const lines = failures.map((f) => `  ${f.name}: ${describeError(f.error).replaceAll('\n', '\n  ')}`);
  const kinds = new Set(failures.map((f) => (f.error instanceof SprocketError ? f.error.kind : 'io')));
  return new SprocketError(kinds.size === 1 ? [...kinds][0]! : 'io', `${what} (${failures.length}):\n${lines.join('\n')}`);
}
