import type pg from 'pg';
import { InterruptedError, MigrationFailedError, sqlStateOf } from './errors';
import type { Reporter } from './events';

export interface ApplySettings {
  /** lock_timeout for every statement: how long DDL may queue for its lock, blocking the app behind it. */
  lockTimeoutMs: number;
  /** How often a migration is retried after a lock_timeout (55P03) before it fails. */
  lockRetries: number;
  reporter: Reporter;
  signal?: AbortSignal;
}

export interface MigrationRun {
  tag: string;
  direction: 'up' | 'down';
  statements: string[];
  transactional: boolean;
  /** Records the outcome in drizzle.__drizzle_migrations; inside the transaction when there is one. */
  record: (client: pg.Client) => Promise<void>;
}

const LOCK_NOT_AVAILABLE = '55P03';

function backoffMs(attempt: number): number {
  return Math.min(200 * 2 ** (attempt - 1), 5000) + Math.floor(Math.random() * 100);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Runs one migration file. A transactional one runs in its own transaction with SET LOCAL lock_timeout; a
 * no-transaction one runs statement by statement under a session lock_timeout, and must be written so that
 * every statement is safe to repeat. Either way, a lock_timeout retries the whole migration from its start
 * after a backoff: rolled back, or idempotent, there is nothing half-done to resume from.
 */
export async function applyMigration(client: pg.Client, run: MigrationRun, settings: ApplySettings): Promise<number> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    settings.reporter({ event: 'migration_start', tag: run.tag, direction: run.direction, transactional: run.transactional, attempt });
    let index = 0;
    try {
      if (run.transactional) {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = ${Math.max(0, Math.floor(settings.lockTimeoutMs))}`);
      } else {
        await client.query(`SET lock_timeout = ${Math.max(0, Math.floor(settings.lockTimeoutMs))}`);
      }
      for (; index < run.statements.length; index++) {
        if (settings.signal?.aborted) throw interrupted(run, index);
        await client.query(run.statements[index]!);
      }
      await run.record(client);
      if (run.transactional) await client.query('COMMIT');
      const durationMs = Date.now() - started;
      settings.reporter({ event: 'migration_done', tag: run.tag, direction: run.direction, durationMs });
      return durationMs;
    } catch (err) {
      // Leaves no transaction open, including one a no-transaction file began with BEGIN itself.
      await client.query('ROLLBACK').catch(() => {});
      if (err instanceof InterruptedError) throw err;
      if (sqlStateOf(err) === LOCK_NOT_AVAILABLE && attempt <= settings.lockRetries && !settings.signal?.aborted) {
        const delayMs = backoffMs(attempt);
        settings.reporter({ event: 'lock_retry', tag: run.tag, attempt, delayMs, statement: index + 1 });
        await new Promise((r) => setTimeout(r, delayMs));
        continue;
      }
      throw failure(run, index, err, attempt);
    } finally {
      if (!run.transactional) await client.query('RESET lock_timeout').catch(() => {});
    }
  }
}

function interrupted(run: MigrationRun, index: number): InterruptedError {
  return run.transactional
    ? new InterruptedError(
        `stopped by a signal during ${run.tag}; its transaction was rolled back, so it is not applied`,
        'Run the migrator again to apply it.',
      )
    : new InterruptedError(
        `stopped by a signal during ${run.tag} after statement ${index} of ${run.statements.length}`,
        'Run the migrator again: every statement of this migration is safe to repeat, and it resumes the work.',
      );
}

function failure(run: MigrationRun, index: number, err: unknown, attempt: number): MigrationFailedError {
  const state = sqlStateOf(err);
  const pgErr = err as { message?: string; hint?: string; detail?: string };
  const where = index < run.statements.length ? ` at statement ${index + 1} of ${run.statements.length}` : '';
  const verb = run.direction === 'up' ? 'migration' : 'rollback';
  const lockHint = state === LOCK_NOT_AVAILABLE ? ` after ${attempt} attempts (lock_timeout)` : '';
  const fallbackHint = run.transactional
    ? `Nothing was changed (the ${verb} ran in one transaction); fix the cause and run again.`
    : 'Statements before this one stay applied and each is safe to repeat; fix the cause and run again.';
  const hint =
    state === LOCK_NOT_AVAILABLE
      ? 'A long-running transaction holds a lock on the table; end it (see pg_stat_activity) or raise --lock-timeout, then run again.'
      : (pgErr.hint ?? fallbackHint);
  const sqlState = state ? ` [SQLSTATE ${state}]` : '';
  return new MigrationFailedError(
    run.tag,
    `${verb} ${run.tag} failed${where}${lockHint}: ${oneLine(pgErr.message ?? String(err))}${sqlState}`,
    oneLine(hint),
    state,
    { cause: err },
  );
}
