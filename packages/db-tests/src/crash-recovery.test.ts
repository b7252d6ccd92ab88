import { migrationsFolder } from '@gym/db/migrations';
import { loadMigrations, MIGRATION_LOCK_KEY, readApplied } from '@gym/migrate';
import { loadOldSessionsBulk } from '@gym/testing/bulk';
import { runCli, spawnCli } from '@gym/testing/cli';
import { createTestDatabase, type TestDatabase } from '@gym/testing/db';
import { migrateTo } from '@gym/testing/migrate';
import { insertOldSchemaData, realisticOldSessions } from '@gym/testing/old-data';
import { eventsOf, expectOneLineError, followJson, parseJsonLines } from '@gym/testing/output';
import { US002_CONTRACT } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { rowsById } from '@gym/testing/snapshot';
import { waitFor } from '@gym/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 3, "Signals": SIGINT/SIGTERM stop the run after the current statement and release the lock; a later
// run completes the work, including after a kill -9 in the middle of 0002 (the expand step) and a SIGINT in the
// middle of 0004's archive copy (the contract step) on a big table of old sessions. The size only has to make
// that copy last (it runs in batches of 4096 heap pages, about 160,000 of these rows each), so that SIGINT
// lands while it runs; the kill -9 lands inside the index build whatever the size, because a held snapshot
// keeps the build waiting. At 1M rows this file took 31 s of a 54 s suite.
const SESSIONS = 250_000;
const INDEX = 'idx_training_sessions_machine_id';
const FK = 'training_sessions_machine_id_machines_id_fk';
const statementsOf = (tag: string) => loadMigrations(migrationsFolder).find((m) => m.tag === tag)!.statements;
const statements0002 = statementsOf('0002_training_sessions_machines');
const statements0004 = statementsOf('0004_training_sessions_contract');

const { client } = perTestResources();

/** Bookings, trainers and members: untouched, row for row. */
async function expectUntouched(db: TestDatabase): Promise<void> {
  for (const [expected, table] of [
    ['crash_expected.bookings', 'training_session_members'],
    ['crash_expected.trainers', 'trainers'],
    ['crash_expected.members', 'members'],
  ] as const) {
    const { rows } = await db.query<{ n: string; differ: string }>(
      `SELECT (SELECT count(*) FROM ${expected}) AS n,
              (SELECT count(*) FROM ${expected} e FULL JOIN ${table} t ON t.id = e.id
                WHERE e.id IS NULL OR t.id IS NULL OR to_jsonb(e) <> to_jsonb(t)) AS differ`,
    );
    expect(Number(rows[0]!.n), table).toBeGreaterThan(0);
    expect(rows[0]!.differ, table).toBe('0');
  }
}

async function migrationsRecorded(db: TestDatabase): Promise<number> {
  return (await readApplied(db)).length;
}

async function lockIsFree(db: TestDatabase): Promise<boolean> {
  const c = await db.pool.connect();
  try {
    const { rows } = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [
      MIGRATION_LOCK_KEY,
    ]);
    if (rows[0]!.ok) await c.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    return rows[0]!.ok;
  } finally {
    c.release();
  }
}

describe(`0002 to 0004 on ${SESSIONS.toLocaleString('en-US')} old sessions: killed, completed, interrupted, completed`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('empty');
    await migrateTo(db.url, '0001_machines');
    await loadOldSessionsBulk(db.pool, { sessions: SESSIONS });
    // What must survive, kept outside the schemas that the migration and the snapshots look at.
    await db.query(`CREATE SCHEMA crash_expected;
                    CREATE TABLE crash_expected.sessions AS SELECT * FROM training_sessions;
                    CREATE TABLE crash_expected.bookings AS SELECT * FROM training_session_members;
                    CREATE TABLE crash_expected.trainers AS SELECT * FROM trainers;
                    CREATE TABLE crash_expected.members AS SELECT * FROM members;`);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('kill -9 while CREATE INDEX CONCURRENTLY runs: an INVALID index is left, the killed statement does not outlive the migrator', async () => {
    // An open snapshot in this database holds the index build in its last phase ("waiting for old
    // snapshots"), so the kill lands while CREATE INDEX CONCURRENTLY is running, every time.
    const snapshot = await client(db.url);
    await snapshot.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await snapshot.query('SELECT 1');

    // --pre-deploy: the expand steps only, as a deploy job runs them before the rollout.
    const run = spawnCli([
      'migrate',
      '--to',
      US002_CONTRACT,
      '--pre-deploy',
      '--json',
      '--lock-wait',
      '0s',
      '--url',
      db.url,
    ]);
    let exited = false;
    void run.done.then(() => (exited = true));
    const building = await waitFor(
      'CREATE INDEX CONCURRENTLY to wait for old snapshots',
      async () =>
        (
          await db.query<{ pid: number; phase: string }>(
            `SELECT pid, phase FROM pg_stat_progress_create_index WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          )
        ).rows.find((r) => r.phase === 'waiting for old snapshots'),
      { timeoutMs: 110_000, intervalMs: 50, stopIf: () => (exited ? 'the migrator exited' : undefined) },
    );
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(
      parseJsonLines(killed.stdout).some(
        (e) => e.event === 'migration_start' && e.tag === '0002_training_sessions_machines',
      ),
    ).toBe(true);

    // The server notices the dead client and ends its statement; until then, its backend keeps the lock.
    await waitFor(
      "the killed migrator's backend to end",
      async () => (await db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [building.pid])).rowCount === 0,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const { rows: index } = await db.query<{ valid: boolean }>(
      `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)`,
      [INDEX],
    );
    expect(index).toEqual([{ valid: false }]);
    expect(await migrationsRecorded(db)).toBe(2);
    expect(await lockIsFree(db)).toBe(true);
    await snapshot.query('COMMIT');
  });

  it('the next pre-deploy run drops the INVALID index, rebuilds it, validates the FK, and every row is preserved', async () => {
    const result = await runCli(['migrate', '--to', US002_CONTRACT, '--pre-deploy', '--json', '--url', db.url]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const events = parseJsonLines(result.stdout);
    expect(eventsOf(events, 'notice').map((e) => e.message)).toContain(
      `dropping the INVALID index ${INDEX} left by an interrupted run`,
    );
    expect(eventsOf(events, 'migration_done').map((e) => e.tag)).toEqual([
      '0002_training_sessions_machines',
      '0003_session_functions',
    ]);
    expect(await migrationsRecorded(db)).toBe(4);
    expect(eventsOf(events, 'done')).toEqual([
      expect.objectContaining({ heldBack: ['0004_training_sessions_contract'] }),
    ]);

    const { rows: index } = await db.query(
      `SELECT indisvalid, indisready, pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indexrelid = to_regclass($1)`,
      [INDEX],
    );
    expect(index).toEqual([
      { indisvalid: true, indisready: true, def: expect.stringContaining('(machine_id, scheduled_start)') },
    ]);
    const { rows: fk } = await db.query(`SELECT convalidated FROM pg_constraint WHERE conname = $1`, [FK]);
    expect(fk).toEqual([{ convalidated: true }]);

    // Every session, by id, with every column unchanged (updated_at included), on Machine 1: the expand step
    // drops nothing.
    const { rows: sessions } = await db.query<{ expected: string; now: string; differ: string; machine1: string }>(
      `SELECT (SELECT count(*) FROM crash_expected.sessions) AS expected,
              (SELECT count(*) FROM training_sessions) AS now,
              (SELECT count(*) FROM crash_expected.sessions e FULL JOIN training_sessions t ON t.id = e.id
                WHERE e.id IS NULL OR t.id IS NULL
                   OR to_jsonb(e) <> to_jsonb(t) - 'machine_id') AS differ,
              (SELECT count(*) FROM training_sessions
                WHERE machine_id = (SELECT id FROM machines WHERE machine_number = 1)) AS machine1`,
    );
    expect(sessions[0]).toEqual({
      expected: String(SESSIONS),
      now: String(SESSIONS),
      differ: '0',
      machine1: String(SESSIONS),
    });

    // Bookings, trainers and members: untouched, row for row.
    await expectUntouched(db);
  });

  it('SIGINT during the long bulk-copy statement: it finishes that statement, stops with exit 130 and releases the lock', async () => {
    const run = spawnCli(['migrate', '--to', US002_CONTRACT, '--url', db.url]);
    let exited = false;
    void run.done.then(() => (exited = true));
    // The signal is sent the moment the copy statement is seen running: it copies every session in
    // committed batches, so it runs for a good while after that.
    const copy = statements0004.find((sql) => sql.includes("'copy' FROM training_sessions"))!;
    const active = await waitFor(
      'the archive copy to be running',
      async () => {
        const { rows } = await db.query<{ query: string }>(
          `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'gym-migrator' AND state = 'active'`,
        );
        return rows.length === 1 && copy.startsWith(rows[0]!.query) ? rows : undefined;
      },
      { intervalMs: 5, stopIf: () => (exited ? 'the migrator exited' : undefined) },
    );
    run.child.kill('SIGINT');
    const result = await run.done;

    const line = expectOneLineError(result, 130, 'stopped');
    const m = /stopped by a signal during 0004_training_sessions_contract after statement (\d+) of (\d+)/.exec(line);
    expect(m, line).not.toBeNull();
    expect(result.stdout).toContain('SIGINT: stopping after the current statement');
    // The statement that was running when the signal came ran to its end: every session is in the archive.
    expect(statements0004[Number(m![1]) - 1]!.startsWith(active[0]!.query)).toBe(true);
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM gym_migrations.training_sessions_us002_archive WHERE captured_by = 'copy'`,
    );
    expect(Number(rows[0]!.n)).toBe(SESSIONS);
    // The next one did not start, and 0004 is not recorded as applied.
    const { rows: cols } = await db.query(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'training_sessions' AND column_name = 'location'`,
    );
    expect(cols).toHaveLength(1);
    expect(await migrationsRecorded(db)).toBe(4);
    expect(await lockIsFree(db)).toBe(true);
  });

  it('the next run applies 0004: the columns go, every kept value stays, and the archive holds every dropped one', async () => {
    const result = await runCli(['migrate', '--to', US002_CONTRACT, '--json', '--url', db.url]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(eventsOf(parseJsonLines(result.stdout), 'migration_done').map((e) => e.tag)).toEqual([
      '0004_training_sessions_contract',
    ]);
    expect(await migrationsRecorded(db)).toBe(5);
    const { rows: sessions } = await db.query<{ now: string; differ: string }>(
      `SELECT (SELECT count(*) FROM training_sessions) AS now,
              (SELECT count(*) FROM crash_expected.sessions e FULL JOIN training_sessions t ON t.id = e.id
                WHERE e.id IS NULL OR t.id IS NULL
                   OR to_jsonb(e) - 'max_participants' - 'location' <> to_jsonb(t) - 'machine_id') AS differ`,
    );
    expect(sessions[0]).toEqual({ now: String(SESSIONS), differ: '0' });

    // The archive holds every session's max_participants and location, read as the rollback reads it.
    const { rows: archive } = await db.query<{ sessions: string; differ: string }>(
      `WITH a AS (SELECT DISTINCT ON (session_id) session_id, max_participants, location
                    FROM gym_migrations.training_sessions_us002_archive
                   ORDER BY session_id, captured_by = 'trigger' DESC, archived_at DESC)
       SELECT (SELECT count(*) FROM a) AS sessions,
              (SELECT count(*) FROM crash_expected.sessions e FULL JOIN a ON a.session_id = e.id
                WHERE e.id IS NULL OR a.session_id IS NULL
                   OR (e.max_participants, e.location) IS DISTINCT FROM (a.max_participants, a.location)) AS differ`,
    );
    expect(archive[0]).toEqual({ sessions: String(SESSIONS), differ: '0' });
    const { rows: nulls } = await db.query<{ maxp: string; loc: string }>(
      `SELECT count(*) FILTER (WHERE max_participants IS NULL) AS maxp, count(*) FILTER (WHERE location IS NULL) AS loc FROM crash_expected.sessions`,
    );
    expect(Number(nulls[0]!.maxp)).toBeGreaterThan(0);
    expect(Number(nulls[0]!.loc)).toBeGreaterThan(0);

    await expectUntouched(db);
  });
});

describe('SIGTERM', () => {
  let db: TestDatabase;
  afterAll(async () => {
    await db?.drop();
  });

  it('while a statement waits: that statement completes, the run stops with exit 130, the lock is free, and a later run completes', async () => {
    db = await createTestDatabase('empty');
    await migrateTo(db.url, '0001_machines');
    await insertOldSchemaData(db, { trainers: 4, members: 50, sessions: realisticOldSessions(300) });
    const before = await rowsById(db, 'training_sessions');
    // The app is writing to training_sessions: 0002's first DDL on the table queues behind it.
    const app = await client(db.url);
    await app.query('BEGIN');
    await app.query('LOCK TABLE training_sessions IN ROW EXCLUSIVE MODE');

    const run = spawnCli(['migrate', '--to', US002_CONTRACT, '--json', '--lock-timeout', '100s', '--url', db.url]);
    let exited = false;
    void run.done.then(() => (exited = true));
    const events = followJson(run.child);
    const waiting = await waitFor(
      'the migrator to wait for its lock',
      async () =>
        (
          await db.query<{ query: string }>(
            `SELECT query FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'gym-migrator' AND wait_event_type = 'Lock'`,
          )
        ).rows[0],
      { stopIf: () => (exited ? 'the migrator exited' : undefined) },
    );
    run.child.kill('SIGTERM');
    await events.nth((e) => e.event === 'interrupt' && e.signal === 'SIGTERM');
    // The signal is handled; the statement is still waiting. Let it through.
    await app.query('COMMIT');
    const result = await run.done;

    expect(result.code, result.stdout + result.stderr).toBe(130);
    expect(result.stderr).toBe('');
    const error = eventsOf(parseJsonLines(result.stdout), 'error');
    expect(error).toEqual([expect.objectContaining({ kind: 'interrupted', exitCode: 130 })]);
    const m = /during 0002_training_sessions_machines after statement (\d+) of (\d+)/.exec(error[0]!.message as string);
    expect(m, error[0]!.message as string).not.toBeNull();
    // The last statement that ran is the one that was waiting when the signal came: it completed, and
    // nothing after it started.
    expect(statements0002[Number(m![1]) - 1]!.startsWith(waiting.query)).toBe(true);
    expect(Number(m![2])).toBe(statements0002.length);
    expect(await migrationsRecorded(db)).toBe(2);
    expect(await lockIsFree(db)).toBe(true);

    // Another migrator can take the lock at once (--lock-wait 0s) and finishes the work.
    const again = await runCli(['migrate', '--to', US002_CONTRACT, '--lock-wait', '0s', '--url', db.url]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^applied\s+0002_training_sessions_machines \(/m);
    expect(await migrationsRecorded(db)).toBe(5);
    const after = await rowsById(db, 'training_sessions');
    expect(after.size).toBe(before.size);
    for (const [id, old] of before) {
      const { max_participants: _m, location: _l, ...kept } = old;
      const { machine_id: _machine, ...now } = after.get(id)!;
      expect(now).toEqual(kept);
    }
  });
});
