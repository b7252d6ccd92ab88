import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { PoolerError } from './errors.js';
import { MIGRATION_LOCK_KEY } from './lock.js';

const PROBE_SETTING = 'gym_migrator.session_probe';

function poolerError(detail: string): PoolerError {
  return new PoolerError(
    `this URL goes through a transaction-mode pooler; use the direct or session-mode URL (${detail})`,
    'The migration lock, lock_timeout and statement-by-statement migrations need one backend for the whole run; on Supabase use the direct connection or the session pooler (port 5432). Nothing was changed.',
  );
}

/**
 * Proves, before anything is changed, that every statement of this run reaches the same backend. A
 * transaction-mode pooler (PgBouncer's pool_mode = transaction, Supabase's pooler on port 6543) hands each
 * transaction to whichever server connection is free: the session advisory lock, the session lock_timeout and
 * a no-transaction migration's statements would then land on different backends, and every guarantee of the
 * migrator would be gone without an error.
 *
 * Alone, one client behind such a pooler usually gets the same server connection back every time, so the
 * probe makes that impossible: between two statements of `client`, a second connection (`openSecond`)
 * begins a transaction and holds it, taking the server connection `client` just released (PgBouncer reuses
 * the most recently released one). A direct or session-mode connection keeps its backend and its session
 * setting; a transaction-mode one comes back on another backend, or without the setting.
 */
export async function assertOneBackend(client: pg.Client, openSecond: () => Promise<pg.Client>): Promise<void> {
  const token = randomUUID();
  const first = await client.query<{ pid: number }>(
    `SELECT pg_backend_pid() AS pid, set_config('${PROBE_SETTING}', $1, false) AS v`,
    [token],
  );
  let second: pg.Client | undefined;
  try {
    second = await openSecond();
    await second.query('BEGIN');
    await second.query('SELECT pg_backend_pid()');
  } catch (err) {
    // Without the second connection, the checks below could pass behind a transaction-mode pooler (one client
    // alone usually gets its server connection back), so the probe proves nothing: refuse rather than guess.
    await second?.end().catch(() => {});
    const reason = String((err as Error)?.message ?? err).split('\n')[0];
    throw new PoolerError(
      `cannot prove that this URL keeps one backend for the whole run: the second connection the check needs failed (${reason})`,
      "The migrator needs one connection more than it keeps (raise the role's CONNECTION LIMIT or max_connections by one, or free one), and a direct or session-mode URL; nothing was changed.",
    );
  }
  try {
    const next = await client.query<{ pid: number; v: string | null }>(
      `SELECT pg_backend_pid() AS pid, current_setting('${PROBE_SETTING}', true) AS v`,
    );
    const before = first.rows[0]!.pid;
    const after = next.rows[0]!;
    if (after.pid !== before) throw poolerError(`two statements ran on backends ${before} and ${after.pid}`);
    if (after.v !== token) throw poolerError('a session setting did not survive from one transaction to the next');
  } finally {
    await second?.query('ROLLBACK').catch(() => {});
    await second?.end().catch(() => {});
  }
}

/** After pg_try_advisory_lock succeeded: the backend that runs the next statement is the one holding it. */
export async function assertLockHeldHere(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks
                     WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND objsubid = 1
                       AND ((classid::bigint << 32) | objid::bigint) = $1::bigint) AS held`,
    [MIGRATION_LOCK_KEY],
  );
  if (!rows[0]?.held)
    throw poolerError('the migration lock taken by one statement is not held by the backend of the next');
}
