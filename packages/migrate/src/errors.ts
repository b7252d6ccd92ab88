import type { SecurityFinding } from './security.js';

/**
 * Exit codes are a contract with deploy jobs (README, "Running in a deploy job"). Every failure the
 * migrator can report is one of these typed errors; only the CLI (apps/migrator, render.ts) turns them into
 * text and an exit code.
 */
export const ExitCode = {
  ok: 0,
  migrationFailed: 1,
  usage: 2,
  lockTimeout: 3,
  editedMigration: 4,
  connection: 5,
  transactionPooler: 6,
  securityCheck: 7,
  unknownMigration: 8,
  standby: 9,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class MigratorError extends Error {
  abstract readonly exitCode: ExitCode;
  abstract readonly kind: string;
  /** What to do about it, as one sentence. */
  readonly hint: string;
  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.hint = hint;
  }
}

/** Bad arguments or configuration: nothing was touched. */
export class UsageError extends MigratorError {
  readonly exitCode = ExitCode.usage;
  readonly kind = 'usage';
}

/** The server could not be reached, refused us, or never answered. */
export class ConnectionError extends MigratorError {
  readonly exitCode = ExitCode.connection;
  readonly kind = 'connection';
}

/** The URL reaches the server through a transaction-mode pooler: one run would not be one backend. */
export class PoolerError extends MigratorError {
  readonly exitCode = ExitCode.transactionPooler;
  readonly kind = 'transaction_pooler';
}

/** The URL reaches a hot standby (pg_is_in_recovery()): nothing can be written, and the lock means nothing. */
export class StandbyError extends MigratorError {
  readonly exitCode = ExitCode.standby;
  readonly kind = 'standby';
}

/**
 * The security check found what the policy forbids (security.ts): a migration brought it in (a
 * transactional one was rolled back), or it was there at the end of the run.
 */
export class SecurityCheckError extends MigratorError {
  readonly exitCode = ExitCode.securityCheck;
  readonly kind = 'security_check';
  constructor(
    readonly findings: SecurityFinding[],
    message: string,
    hint: string,
  ) {
    super(message, hint);
  }
}

/**
 * The migrations table records a migration that the journal does not have: one regenerated,
 * renamed or removed after it was applied. What the database holds is then not what the files describe.
 */
export class UnknownAppliedMigrationError extends MigratorError {
  readonly exitCode = ExitCode.unknownMigration;
  readonly kind = 'unknown_migration';
}

/** Another migrator held the advisory lock for longer than --lock-wait. */
export class LockWaitTimeoutError extends MigratorError {
  readonly exitCode = ExitCode.lockTimeout;
  readonly kind = 'lock_timeout';
}

/** An applied migration's file no longer has the hash recorded when it was applied. */
export class EditedMigrationError extends MigratorError {
  readonly exitCode = ExitCode.editedMigration;
  readonly kind = 'edited_migration';
  constructor(
    readonly tags: string[],
    message: string,
    hint: string,
  ) {
    super(message, hint);
  }
}

/** A migration or a rollback failed (or refused, as 0002's rollback does when a session has no trainer). */
export class MigrationFailedError extends MigratorError {
  readonly exitCode = ExitCode.migrationFailed;
  readonly kind = 'migration_failed';
  constructor(
    readonly tag: string,
    message: string,
    hint: string,
    readonly sqlState?: string,
    options?: { cause?: unknown },
  ) {
    super(message, hint, options);
  }
}

/** SIGINT or SIGTERM: the run stopped between statements, leaving the database consistent. */
export class InterruptedError extends MigratorError {
  readonly exitCode = ExitCode.interrupted;
  readonly kind = 'interrupted';
}

/** The SQLSTATE of a pg error, if it is one. */
export function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
