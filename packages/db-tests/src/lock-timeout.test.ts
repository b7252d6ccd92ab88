import { readApplied } from '@gym/migrate';
import { runCli, spawnCli } from '@gym/testing/cli';
import type { TestDatabase } from '@gym/testing/db';
import { migrateTo } from '@gym/testing/migrate';
import { insertOldSchemaData, realisticOldSessions } from '@gym/testing/old-data';
import { eventsOf, expectOneLineError, followJson, parseJsonLines } from '@gym/testing/output';
import { US002_CONTRACT } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { waitFor } from '@gym/testing/wait';
import { describe, expect, it } from 'vitest';

// Issue 3, "Locks": every DDL statement runs under lock_timeout and is retried with backoff on 55P03, so a
// migration never queues behind a long-running transaction while the app's queries queue behind it.
const { database, client } = perTestResources();

/**
 * A database with old sessions at `at` (0001 by default), and an app transaction that has read
 * training_sessions and stays open.
 */
async function blockedDatabase(at = '0001_machines') {
  const db = await database('empty');
  await migrateTo(db.url, '0001_machines');
  await insertOldSchemaData(db, { trainers: 3, members: 40, sessions: realisticOldSessions(200) });
  if (at !== '0001_machines') await migrateTo(db.url, at);
  const blocker = await client(db.url);
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE training_sessions IN ACCESS SHARE MODE');
  await blocker.query('SELECT count(*) FROM training_sessions');
  return { db, blocker };
}

/** The migrator's backend, while it is queued for a lock. */
async function migratorWaitingForLock(db: TestDatabase, exited: () => boolean) {
  return waitFor(
    'the migrator to queue for its lock on training_sessions',
    async () =>
      (
        await db.query<{ pid: number; query: string }>(
          `SELECT a.pid, a.query FROM pg_stat_activity a
            WHERE a.datname = current_database() AND a.application_name = 'gym-migrator' AND a.wait_event_type = 'Lock'`,
        )
      ).rows[0],
    { intervalMs: 10, stopIf: () => (exited() ? 'the migrator exited' : undefined) },
  );
}

/**
 * What the app does meanwhile: a read of training_sessions on its own connection, with a statement_timeout
 * far above --lock-timeout. Queued behind a migrator that waits without a bound, it would time out; it
 * must complete. (It runs before the blocker is released, so nothing else can unblock it.)
 */
async function appQueryCompletes(db: TestDatabase): Promise<number> {
  const app = await client(db.url);
  await app.query(`SET statement_timeout = '10s'`);
  const { rows } = await app.query<{ n: string }>('SELECT count(*) AS n FROM training_sessions');
  return Number(rows[0]!.n);
}

describe('a long-running transaction holds a lock on training_sessions', () => {
  it('the migrator times out on the lock, retries with backoff, and succeeds once the transaction ends; the app is never stuck behind it', async () => {
    // After the pre-deploy step: 0004 (the contract) archives the old columns, then needs ACCESS EXCLUSIVE.
    const { db, blocker } = await blockedDatabase('0003_session_functions');
    const run = spawnCli([
      'migrate',
      '--to',
      US002_CONTRACT,
      '--json',
      '--lock-timeout',
      '200ms',
      '--lock-retries',
      '20',
      '--url',
      db.url,
    ]);
    let exited = false;
    void run.done.then(() => (exited = true));
    const events = followJson(run.child);

    await events.nth((e) => e.event === 'lock_retry');
    await migratorWaitingForLock(db, () => exited);
    expect(await appQueryCompletes(db)).toBe(200);
    // A second retry: the migrator keeps backing off rather than failing or queueing for good.
    await events.nth((e) => e.event === 'lock_retry', 2);
    expect(exited).toBe(false);
    await blocker.query('COMMIT');

    const result = await run.done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const all = parseJsonLines(result.stdout);
    const retries = eventsOf(all, 'lock_retry');
    expect(retries.length).toBeGreaterThanOrEqual(2);
    for (const [i, r] of retries.entries()) {
      expect(r).toMatchObject({ tag: '0004_training_sessions_contract', attempt: i + 1 });
      expect(r.delayMs).toBeGreaterThan(0);
    }
    // Backoff: each retry waits longer than the one before (200 ms doubling, plus jitter under 100 ms).
    for (let i = 1; i < Math.min(retries.length, 5); i++)
      expect(retries[i]!.delayMs as number).toBeGreaterThan(retries[i - 1]!.delayMs as number);
    // A retry resumes at the statement that timed out (DROP DEFAULT, behind the blocker's ACCESS SHARE): the
    // bulk copy of the archive before it ran once, however many retries there were.
    expect(new Set(retries.map((r) => r.statement)).size).toBe(1);
    expect(eventsOf(all, 'progress').filter((e) => e.step === 'archive')).toHaveLength(1);
    expect(eventsOf(all, 'migration_done').map((e) => e.tag)).toEqual(['0004_training_sessions_contract']);
    // Cleaning up after a failed statement of a no-transaction migration prints no server warning.
    expect(eventsOf(all, 'notice').filter((e) => /no transaction in progress/.test(e.message as string))).toEqual([]);
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM training_sessions WHERE machine_id = (SELECT id FROM machines WHERE machine_number = 1)`,
    );
    expect(rows[0]!.n).toBe('200');
  });

  it('with --lock-retries 0: exit 1 with a one-line error about the lock, the app still served, and a later run completes', async () => {
    const { db, blocker } = await blockedDatabase();
    const args = ['migrate', '--to', US002_CONTRACT, '--lock-timeout', '1s', '--lock-retries', '0', '--url', db.url];
    const run = spawnCli(args);
    let exited = false;
    void run.done.then(() => (exited = true));
    await migratorWaitingForLock(db, () => exited);
    expect(await appQueryCompletes(db)).toBe(200);

    const result = await run.done;
    const line = expectOneLineError(result, 1);
    expect(line).toContain('migration 0002_training_sessions_machines failed');
    expect(line).toMatch(/lock timeout/);
    expect(line).toContain('SQLSTATE 55P03');
    expect(line).toMatch(/holds a lock on the table/);
    // The blocker was still open the whole time: the migrator gave up, it did not get through.
    expect((await blocker.query<{ s: string }>(`SELECT 'open' AS s`)).rows[0]!.s).toBe('open');
    expect(await readApplied(db)).toHaveLength(2);

    await blocker.query('COMMIT');
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(await readApplied(db)).toHaveLength(5);
  });

  it('an old snapshot elsewhere in the database does not cancel CREATE INDEX CONCURRENTLY: the build waits, blocking nobody, and finishes', async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    await insertOldSchemaData(db, { trainers: 3, members: 40, sessions: realisticOldSessions(200) });
    // A report that keeps its snapshot for longer than --lock-timeout, touching no table the migration needs.
    const report = await client(db.url);
    await report.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await report.query('SELECT 1');

    const run = spawnCli([
      'migrate',
      '--to',
      US002_CONTRACT,
      '--json',
      '--lock-timeout',
      '200ms',
      '--lock-retries',
      '0',
      '--url',
      db.url,
    ]);
    let exited = false;
    void run.done.then(() => (exited = true));
    const waiting = await waitFor(
      'CREATE INDEX CONCURRENTLY to wait for the old snapshot',
      async () =>
        (
          await db.query<{ pid: number; phase: string }>(
            `SELECT pid, phase FROM pg_stat_progress_create_index
              WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          )
        ).rows.find((r) => r.phase === 'waiting for old snapshots'),
      { stopIf: () => (exited ? 'the migrator exited' : undefined) },
    );
    // The app reads and writes the table meanwhile.
    const app = await client(db.url);
    await app.query(`SET statement_timeout = '10s'`);
    expect((await app.query('SELECT count(*)::int AS n FROM training_sessions')).rows[0]).toEqual({ n: 200 });
    expect(
      (
        await app.query(
          `UPDATE training_sessions SET notes = notes WHERE id = (SELECT min(id::text)::uuid FROM training_sessions)`,
        )
      ).rowCount,
    ).toBe(1);
    // Several lock timeouts' worth later, the build is still waiting instead of having been cancelled.
    await new Promise((r) => setTimeout(r, 1000));
    const { rows } = await db.query<{ pid: number; phase: string }>(
      `SELECT pid, phase FROM pg_stat_progress_create_index WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(rows).toEqual([waiting]);
    expect(exited).toBe(false);

    await report.query('COMMIT');
    const result = await run.done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(eventsOf(parseJsonLines(result.stdout), 'lock_retry')).toEqual([]);
    const { rows: index } = await db.query(
      `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('idx_training_sessions_machine_id')`,
    );
    expect(index).toEqual([{ indisvalid: true }]);
  });
});
