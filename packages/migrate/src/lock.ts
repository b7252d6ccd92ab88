import type pg from 'pg';
import { InterruptedError, LockWaitTimeoutError } from './errors.js';
import type { Reporter } from './events.js';

/** The advisory lock key every gym-db migrator agrees on (an arbitrary constant: "gym" 0x67796d, US-002). */
export const MIGRATION_LOCK_KEY = '6781293002';

/**
 * Takes the session-level advisory lock on the connection that will run the migration (see withSession in
 * session.ts for why that one), polling with pg_try_advisory_lock.
 *
 * Polling rather than a blocking pg_advisory_lock() is deliberate: a backend blocked in that call holds a
 * snapshot, and CREATE INDEX CONCURRENTLY in the lock holder's migration waits for every such snapshot to
 * go away. The two would wait for each other forever, and PostgreSQL cannot see that deadlock.
 */
export async function acquireLock(
  client: pg.Client,
  opts: { waitMs: number; reporter: Reporter; pollMs?: number; signal?: AbortSignal },
): Promise<() => Promise<void>> {
  const started = Date.now();
  const pollMs = opts.pollMs ?? 200;
  let lastReport = started;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
      MIGRATION_LOCK_KEY,
    ]);
    const waitedMs = Date.now() - started;
    if (rows[0]?.locked) {
      opts.reporter({ event: 'lock_acquired', waitedMs });
      return async () => {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => {});
      };
    }
    if (opts.signal?.aborted) {
      throw new InterruptedError(
        'stopped by a signal while waiting for the migration lock',
        'Nothing was changed; run the migrator again.',
      );
    }
    if (waitedMs >= opts.waitMs) {
      const holder = await client
        .query<{ pid: number; application_name: string }>(
          `SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint LIMIT 1`,
          [MIGRATION_LOCK_KEY],
        )
        .then((r) => r.rows[0])
        .catch(() => undefined);
      const who = holder
        ? ` (held by backend pid ${holder.pid}${holder.application_name ? `, ${holder.application_name}` : ''})`
        : '';
      throw new LockWaitTimeoutError(
        `another migrator held the migration lock for longer than ${Math.round(opts.waitMs / 1000)} s${who}`,
        'Let the other run finish and try again, or raise --lock-wait; nothing was changed.',
      );
    }
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      opts.reporter({ event: 'lock_wait', waitedMs });
    }
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(opts.waitMs - waitedMs, 1))));
  }
}
