import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type MigratorEvent, migrate } from '@gym/migrate';
import { connectClient } from './server';

export type ContestantId = 'a' | 'b';

export const CONTESTANTS: Record<ContestantId, { label: string; app: string }> = {
  a: { label: '(a) seed SQL, one transaction', app: 'bench-seed-a' },
  b: { label: '(b) gym-db migrator', app: 'gym-migrator' },
};

/** The "Step 1: Create Migration SQL" block of the US-002 story (shared/seeds/000_05ca48bee907b5d5.txt), verbatim. */
export const SEED_SQL_FILE = fileURLToPath(new URL('../seed-us002.sql', import.meta.url));

/**
 * Prepended to the seed's SQL inside the same transaction. The baseline (0000) has three views that read
 * location and max_participants, so the seed's DROP COLUMN fails on a real gym-db database ("cannot drop
 * column ... because other objects depend on it"), exactly as it would in the app. Dropping the views first is
 * the least that makes it run; it does not recreate them (so (a) also ends with three views fewer than (b)).
 */
export const SEED_PRELUDE =
  'DROP VIEW IF EXISTS training_sessions_calendar, trainer_session_history, member_session_history;';

export interface BenchEvent {
  /** Bench-clock ms. */
  t: number;
  event: string;
  [k: string]: unknown;
}

export interface ContestantRun {
  ok: boolean;
  error?: string;
  /** Bench-clock ms at which the contestant was started and finished. */
  start: number;
  end: number;
  durationMs: number;
  events: BenchEvent[];
}

/**
 * (a): the seed's SQL as Drizzle's migrate() runs a migration: BEGIN, the file's one chunk (no statement
 * breakpoints) sent as one simple-protocol query, COMMIT, all on one connection. Timed from connect to end.
 */
async function runSeed(url: string, origin: number): Promise<ContestantRun> {
  const events: BenchEvent[] = [];
  const ev = (event: string, extra: Record<string, unknown> = {}) =>
    events.push({ t: performance.now() - origin, event, ...extra });
  const sql = fs.readFileSync(SEED_SQL_FILE, 'utf8');
  const t0 = performance.now();
  const c = await connectClient(url, CONTESTANTS.a.app);
  try {
    ev('begin');
    await c.query('BEGIN');
    await c.query(SEED_PRELUDE);
    ev('prelude_done', { sql: SEED_PRELUDE });
    await c.query(sql);
    ev('seed_sql_done');
    await c.query('COMMIT');
    ev('commit');
    const end = performance.now();
    return { ok: true, start: t0 - origin, end: end - origin, durationMs: end - t0, events };
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    const end = performance.now();
    ev('failed', { error: (e as Error).message });
    return {
      ok: false,
      error: (e as Error).message,
      start: t0 - origin,
      end: end - origin,
      durationMs: end - t0,
      events,
    };
  } finally {
    await c.end().catch(() => {});
  }
}

/** (b): gym-db's migrator, programmatic API, from 0001 up to the latest migration. */
async function runMigrator(url: string, origin: number, signal: AbortSignal): Promise<ContestantRun> {
  const events: BenchEvent[] = [];
  const reporter = (e: MigratorEvent) => events.push({ t: performance.now() - origin, ...e });
  const t0 = performance.now();
  try {
    await migrate({ url, reporter, signal });
    const end = performance.now();
    return { ok: true, start: t0 - origin, end: end - origin, durationMs: end - t0, events };
  } catch (e) {
    const end = performance.now();
    const err = e as Error & { hint?: string };
    return {
      ok: false,
      error: `${err.message}${err.hint ? ` (${err.hint})` : ''}`,
      start: t0 - origin,
      end: end - origin,
      durationMs: end - t0,
      events,
    };
  }
}

/**
 * Runs one contestant. When `signal` aborts (the bench's time bound), the statement the contestant is running
 * is cancelled with pg_cancel_backend, so that the run ends: (a) rolls back, (b) stops as its CLI does.
 */
export async function runContestant(
  id: ContestantId,
  url: string,
  origin: number,
  signal: AbortSignal,
): Promise<ContestantRun> {
  const onAbort = () => {
    void (async () => {
      const k = await connectClient(url, 'bench-cancel');
      await k
        .query(
          'SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
          [CONTESTANTS[id].app],
        )
        .catch(() => {});
      await k.end().catch(() => {});
    })().catch(() => {});
  };
  signal.addEventListener('abort', onAbort);
  try {
    return id === 'a' ? await runSeed(url, origin) : await runMigrator(url, origin, signal);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
