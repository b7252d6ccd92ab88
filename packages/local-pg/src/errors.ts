/**
 * What the local server reports when it cannot do its job: what is wrong (the message) and what to do (the
 * hint, one sentence). Both kinds are a problem of this machine's setup, not of a migration: the CLI gives
 * them its usage/configuration exit code (2), and `kind` is the error event's kind in its --json output.
 */
export abstract class LocalPgError extends Error {
  abstract readonly kind: 'embedded' | 'usage';
  /** What to do about it, as one sentence. */
  readonly hint: string;
  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.hint = hint;
  }
}

/**
 * The embedded PostgreSQL could not start (a binary that cannot run, a port or data folder in use, a data
 * folder of another major).
 */
export class EmbeddedServerError extends LocalPgError {
  readonly kind = 'embedded';
}

/** A setting of the local server that cannot be used: GYM_PG_VERSION or GYM_EMBEDDED_PORT. */
export class LocalSettingError extends LocalPgError {
  readonly kind = 'usage';
}
