import { migrationsFolder } from '@gym/db/migrations';
import { loadMigrations, MIGRATION_LOCK_KEY, readApplied } from '@gym/migrate';
import { runCli, spawnCli } from '@gym/testing/cli';
import { migrateTo } from '@gym/testing/migrate';
import { insertOldSchemaData, realisticOldSessions } from '@gym/testing/old-data';
import { eventsOf, expectOneLineError, parseJsonLines } from '@gym/testing/output';
import { perTestResources } from '@gym/testing/resources';
import { catalogSnapshot, dataSnapshot } from '@gym/testing/snapshot';
import { waitFor } from '@gym/testing/wait';
import { describe, expect, it } from 'vitest';

// Issue 3, "Locks": a session-level advisory lock makes concurrent deploys safe, and waiting for it is bounded.
const { database, client } = perTestResources();

const local = loadMigrations(migrationsFolder);

describe('migrators started at once', () => {
  it('five CLI migrators on an empty database wait on the lock together; one applies every migration, the four others wait for it and find nothing to do', async () => {
    const db = await database('empty');
    // The test takes the lock first, so that the five are provably running at the same time: each is seen on
    // the server, polling for the lock, before any of them can have it. Then it lets go and they race.
    const holder = await client(db.url);
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const starts = Array.from({ length: 5 }, () => spawnCli(['migrate', '--json', '--url', db.url]));
    let exited: number | undefined;
    starts.forEach((s, i) => void s.done.then(() => (exited ??= i)));
    await waitFor(
      'five migrators polling for the migration lock at once',
      async () => {
        const { rows } = await db.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND application_name LIKE 'gym-migrator%'
              AND query LIKE '%pg_try_advisory_lock%'`,
        );
        return rows.length === 5 && rows.map((r) => r.pid);
      },
      { stopIf: () => (exited === undefined ? undefined : `migrator ${exited} exited while the lock was held`) },
    );
    // None of them has it: the only holder is the test's session.
    const holders = async () =>
      (
        await db.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
          [MIGRATION_LOCK_KEY],
        )
      ).rows.map((r) => r.pid);
    const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    expect(await holders()).toEqual([holderPid]);

    await holder.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const runs = await Promise.all(starts.map((s) => s.done));
    for (const r of runs) expect(r.code, r.stdout + r.stderr).toBe(0);

    // One row per migration, in journal order, with drizzle's hash and created_at.
    const rows = await readApplied(db);
    expect(rows.map((r) => ({ hash: r.hash, createdAt: r.createdAt }))).toEqual(
      local.map((m) => ({ hash: m.hash, createdAt: m.when })),
    );

    // The one that got the lock first applied everything, in journal order. The four others were polling when
    // the lock was let go, and found nothing left to do: they got the lock only after the winner had released
    // it, so each of them waited on the winner's lock.
    const appliedBy = runs.map((r) => eventsOf(parseJsonLines(r.stdout), 'migration_done').map((e) => e.tag as string));
    const winners = appliedBy.filter((tags) => tags.length > 0);
    expect(winners).toEqual([local.map((m) => m.tag)]);
    for (const r of runs) {
      const events = parseJsonLines(r.stdout);
      if (eventsOf(events, 'migration_done').length === 0) expect(eventsOf(events, 'nothing_to_do')).toHaveLength(1);
    }

    // The schema is complete: the same catalog as the template, which was migrated once, alone.
    const reference = await database('template');
    expect(await catalogSnapshot(db)).toEqual(await catalogSnapshot(reference));
  });
});

describe('the advisory lock', () => {
  it('held by another session past --lock-wait: exit 3, a one-line error, and the database unchanged', async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    await insertOldSchemaData(db, { trainers: 3, members: 20, sessions: realisticOldSessions(50) });
    const holder = await client(db.url);
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const catalog = await catalogSnapshot(db);
    const data = await dataSnapshot(db);

    const human = await runCli(['migrate', '--lock-wait', '1s', '--url', db.url]);
    const line = expectOneLineError(human, 3);
    expect(line).toMatch(/lock/);
    expect(line).toMatch(/1 s/);
    expect(line).toContain(
      `pid ${(await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid}`,
    );

    const json = await runCli(['migrate', '--json', '--lock-wait', '1s', '--url', db.url]);
    expect(json.code).toBe(3);
    expect(json.stderr).toBe('');
    const events = parseJsonLines(json.stdout);
    expect(eventsOf(events, 'error')).toEqual([expect.objectContaining({ kind: 'lock_timeout', exitCode: 3 })]);
    expect(eventsOf(events, 'migration_start')).toEqual([]);

    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await dataSnapshot(db)).toEqual(data);

    // Once the other session lets go, the same command goes through.
    await holder.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const after = await runCli(['migrate', '--lock-wait', '1s', '--url', db.url]);
    expect(after.code, after.stderr).toBe(0);
  });

  it('lives as long as the connection that runs the statements, so a server that drops idle connections cannot let a second migrator in', async () => {
    // A managed PostgreSQL often sets idle_session_timeout. A lock held on a separate, idle connection
    // would be dropped with it while the migration goes on, and a second deploy would start beside it.
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    await insertOldSchemaData(db, { trainers: 3, members: 20, sessions: realisticOldSessions(50) });
    const url = new URL(db.url);
    url.searchParams.set('options', '-c idle_session_timeout=1500');
    // The app holds a row lock on training_sessions, so 0002 waits at its first DDL (up to --lock-timeout).
    const app = await client(db.url);
    await app.query('BEGIN');
    await app.query('LOCK TABLE training_sessions IN ROW EXCLUSIVE MODE');

    const first = spawnCli(['migrate', '--lock-timeout', '120s', '--url', url.toString()]);
    let firstExited = false;
    void first.done.then(() => (firstExited = true));
    const waiting = await waitFor(
      'the first migrator to wait for its lock on training_sessions',
      async () =>
        (
          await db.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND application_name LIKE 'gym-migrator%' AND wait_event_type = 'Lock'`,
          )
        ).rows[0],
      { stopIf: () => (firstExited ? 'the first migrator exited' : undefined) },
    );
    // Longer than idle_session_timeout: any idle connection of the first migrator is gone by now.
    const second = await runCli(['migrate', '--lock-wait', '5s', '--url', url.toString()]);
    expectOneLineError(second, 3);
    // The lock is held by the very backend that runs the migration.
    const { rows: holders } = await db.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
      [MIGRATION_LOCK_KEY],
    );
    expect(holders).toEqual([{ pid: waiting.pid }]);

    await app.query('COMMIT');
    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
    expect(await readApplied(db)).toHaveLength(local.length);
  });
});
