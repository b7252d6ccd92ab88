import type pg from 'pg';
import { InterruptedError, MigrationFailedError, MigratorError, sqlStateOf } from './errors.js';
import type { Reporter } from './events.js';
import type { Phase } from './plan.js';

export interface ApplySettings {
  /**
   * lock_timeout for every statement: how long DDL may queue for its lock, blocking the app behind it. Not
   * for a concurrent index build (see isConcurrentIndexStatement), whose waits block nobody.
   */
  lockTimeoutMs: number;
  /** How often a migration is retried after a lock_timeout (55P03) before it fails. */
  lockRetries: number;
  reporter: Reporter;
  signal?: AbortSignal;
}

export interface MigrationRun {
  tag: string;
  direction: 'up' | 'down';
  /** The migration's phase (for a rollback, that of the migration it undoes); reported, never acted on here. */
  phase: Phase;
  statements: string[];
  transactional: boolean;
  /** Records the outcome in the migrations table (state.ts); inside the transaction when there is one. */
  record: (client: pg.Client) => Promise<void>;
  /**
   * Checks the database once the migration's statements ran: before COMMIT in a transactional one, so
   * that a throw rolls it back; right after the last statement otherwise. Throws a MigratorError to refuse.
   */
  verify?: (client: pg.Client) => Promise<void>;
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
 * no-transaction one runs statement by statement under a session lock_timeout (concurrent index builds
 * excepted, see isConcurrentIndexStatement), and must be written so that every statement is safe to repeat.
 * A lock_timeout retries after a backoff: a transactional migration from its start (it was rolled back), a
 * no-transaction one from the statement that timed out.
 */
export async function applyMigration(client: pg.Client, run: MigrationRun, settings: ApplySettings): Promise<number> {
  return (await applyInOneGo(client, [run], settings))[0]!;
}

/**
 * Runs several transactional migration files in one transaction, all or nothing: `rollback --to` uses it so
 * that a rollback refused halfway (0002's, when a session has no trainer) leaves the ones before it undone
 * too, and the database exactly as it was. Each file still gets its own events and duration.
 */
export async function applyInOneTransaction(
  client: pg.Client,
  runs: MigrationRun[],
  settings: ApplySettings,
): Promise<number[]> {
  if (runs.some((r) => !r.transactional))
    throw new Error('applyInOneTransaction: every migration must be transactional');
  return applyInOneGo(client, runs, settings);
}

async function applyInOneGo(client: pg.Client, runs: MigrationRun[], settings: ApplySettings): Promise<number[]> {
  const transactional = runs[0]!.transactional;
  const lockTimeout = Math.max(0, Math.floor(settings.lockTimeoutMs));
  // A no-transaction migration resumes a retry at the statement that hit the lock timeout, not at its first
  // (0002's first statements copy a whole table), unless that statement ran inside a BEGIN of the file's
  // own: the ROLLBACK undid the block, so the retry starts again at the block's first statement.
  let resumeAt = 0;
  for (let attempt = 1; ; attempt++) {
    const durations: number[] = [];
    let current = 0;
    let index = 0;
    let safePoint = resumeAt;
    try {
      if (transactional) {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = ${lockTimeout}`);
      } else {
        await client.query(`SET lock_timeout = ${lockTimeout}`);
      }
      for (current = 0; current < runs.length; current++) {
        const run = runs[current]!;
        const started = Date.now();
        settings.reporter({
          event: 'migration_start',
          tag: run.tag,
          direction: run.direction,
          phase: run.phase,
          transactional: run.transactional,
          attempt,
        });
        for (index = transactional ? 0 : resumeAt; index < run.statements.length; index++) {
          if (settings.signal?.aborted) throw interrupted(runs, current, index);
          if (!transactional && client.getTransactionStatus() === 'I') safePoint = index;
          const statement = run.statements[index]!;
          if (!transactional && isConcurrentIndexStatement(statement)) {
            await client.query('SET lock_timeout = 0');
            await client.query(statement);
            await client.query(`SET lock_timeout = ${lockTimeout}`);
          } else {
            await client.query(statement);
          }
        }
        await run.record(client);
        await run.verify?.(client);
        durations.push(Date.now() - started);
      }
      if (transactional) await client.query('COMMIT');
      for (const [i, run] of runs.entries()) {
        settings.reporter({
          event: 'migration_done',
          tag: run.tag,
          direction: run.direction,
          phase: run.phase,
          durationMs: durations[i]!,
        });
      }
      return durations;
    } catch (err) {
      // Leaves no transaction open, including one a no-transaction file began with BEGIN itself (and only
      // then: a ROLLBACK outside a transaction would print a warning).
      if (transactional || client.getTransactionStatus() !== 'I') await client.query('ROLLBACK').catch(() => {});
      if (err instanceof MigratorError) throw err;
      const run = runs[Math.min(current, runs.length - 1)]!;
      if (sqlStateOf(err) === LOCK_NOT_AVAILABLE && attempt <= settings.lockRetries && !settings.signal?.aborted) {
        if (!transactional) resumeAt = safePoint;
        const delayMs = backoffMs(attempt);
        settings.reporter({ event: 'lock_retry', tag: run.tag, attempt, delayMs, statement: index + 1 });
        await new Promise((r) => setTimeout(r, delayMs));
        continue;
      }
      throw failure(runs, current, index, err, attempt);
    } finally {
      if (!transactional) await client.query('RESET lock_timeout').catch(() => {});
    }
  }
}

/**
 * CREATE INDEX CONCURRENTLY (and DROP INDEX / REINDEX ... CONCURRENTLY) takes SHARE UPDATE EXCLUSIVE, which
 * no read or write of the app conflicts with, then waits, as lock waits, for the table's writers and for
 * every transaction in the database that holds an older snapshot. Under lock_timeout, any transaction
 * longer than the bound (a report, an idle-in-transaction session) would cancel the build, leave an INVALID
 * index, and retry the whole migration; yet nothing queues behind these waits. So these statements run
 * without lock_timeout: they wait for long transactions to end, which is what they are meant to do.
 */
export function isConcurrentIndexStatement(sql: string): boolean {
  const code = sql.replace(/--[^\n]*/g, '').trim();
  return /^(CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|DROP\s+INDEX\s+CONCURRENTLY|REINDEX\s+(\([^)]*\)\s*)?(INDEX|TABLE|SCHEMA|DATABASE|SYSTEM)\s+CONCURRENTLY)\b/i.test(
    code,
  );
}

function interrupted(runs: MigrationRun[], current: number, index: number): InterruptedError {
  const run = runs[current]!;
  if (runs.length > 1) {
    return new InterruptedError(
      `stopped by a signal during ${run.tag}; the one transaction of ${runs.map((r) => r.tag).join(', ')} was rolled back, so none of them is ${run.direction === 'up' ? 'applied' : 'rolled back'}`,
      'Run the migrator again.',
    );
  }
  return run.transactional
    ? new InterruptedError(
        `stopped by a signal during ${run.tag}; its transaction was rolled back, so it is not ${run.direction === 'up' ? 'applied' : 'rolled back'}`,
        'Run the migrator again.',
      )
    : new InterruptedError(
        `stopped by a signal during ${run.tag} after statement ${index} of ${run.statements.length}`,
        'Run the migrator again: every statement of this migration is safe to repeat, and it resumes the work.',
      );
}

function failure(
  runs: MigrationRun[],
  current: number,
  index: number,
  err: unknown,
  attempt: number,
): MigrationFailedError {
  const run = runs[Math.min(current, runs.length - 1)]!;
  const state = sqlStateOf(err);
  const pgErr = err as { message?: string; hint?: string; detail?: string };
  const where = index < run.statements.length ? ` at statement ${index + 1} of ${run.statements.length}` : '';
  const verb = run.direction === 'up' ? 'migration' : 'rollback';
  const lockHint =
    state === LOCK_NOT_AVAILABLE ? ` after ${attempt} attempt${attempt === 1 ? '' : 's'} (lock_timeout)` : '';
  const fallbackHint = !run.transactional
    ? 'Statements before this one stay applied and each is safe to repeat; fix the cause and run again.'
    : runs.length > 1
      ? `Nothing was changed (${runs.map((r) => r.tag).join(', ')} ran in one transaction); fix the cause and run again.`
      : `Nothing was changed (the ${verb} ran in one transaction); fix the cause and run again.`;
  const hint =
    state === LOCK_NOT_AVAILABLE
      ? 'A long-running transaction holds a lock on the table; end it (see pg_stat_activity) or raise --lock-timeout, then run again.'
      : (pgErr.hint ?? fallbackHint);
  const sqlState = state ? ` [SQLSTATE ${state}]` : '';
  const undone =
    run.transactional && runs.length > 1
      ? ` (so ${runs
          .filter((r) => r !== run)
          .map((r) => r.tag)
          .join(
            ', ',
          )} ${runs.length > 2 ? 'are' : 'is'} not ${run.direction === 'up' ? 'applied' : 'rolled back'} either)`
      : '';
  return new MigrationFailedError(
    run.tag,
    `${verb} ${run.tag} failed${where}${lockHint}: ${oneLine(pgErr.message ?? String(err))}${sqlState}${undone}`,
    oneLine(hint),
    state,
    { cause: err },
  );
}
