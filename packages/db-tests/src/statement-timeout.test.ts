import { readApplied } from '@gym/migrate';
import { loadOldSessionsBulk } from '@gym/testing/bulk';
import { runCli } from '@gym/testing/cli';
import { migrateTo } from '@gym/testing/migrate';
import { eventsOf, parseJsonLines } from '@gym/testing/output';
import { allTags } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { describe, expect, it } from 'vitest';

// Issue 16, item 9: managed providers set statement_timeout on the role or the database. Before, with
// ALTER DATABASE ... SET statement_timeout = '1s' and 1M old sessions, db:migrate failed in 0004's archive copy
// (57014), and every rerun started the copy again. The migrator now clears it for its own session only.
const SESSIONS = 1_000_000;
const { database, client } = perTestResources();

describe(`a database-level statement_timeout of 1s, ${SESSIONS.toLocaleString('en-US')} old sessions`, () => {
  it('the CLI migrates them to the end: exit 0, every session migrated, and the setting stays for everyone else', async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    await loadOldSessionsBulk(db.pool, { sessions: SESSIONS });
    // The bulk sessions last 45 minutes and start every 7, so once US-002 puts them all on Machine 1, half a
    // million are legacy double bookings that 0007 would move one by one, for many hours at this size (each
    // probe reads every row of Machine 1). This test is about the timeout: they are made back to back
    // (triggers off, as in the load), and none overlaps.
    await db.query(`BEGIN;
                    SET LOCAL session_replication_role = replica;
                    UPDATE training_sessions SET scheduled_end = scheduled_start + interval '7 minutes';
                    COMMIT;`);
    await db.query('VACUUM ANALYZE training_sessions');
    // What must come through, kept outside the schemas that the migrations touch.
    await db.query(`CREATE SCHEMA timeout_expected;
                    CREATE TABLE timeout_expected.sessions AS SELECT * FROM training_sessions;
                    CREATE TABLE timeout_expected.bookings AS SELECT * FROM training_session_members;`);
    await db.query(`ALTER DATABASE ${db.name} SET statement_timeout = '1s'`);
    // Every new session of this database gets it, the migrator's included.
    const check = await client(db.url);
    expect((await check.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '1s' }]);

    const r = await runCli(['migrate', '--json', '--connect-retry-for', '0s', '--url', db.url]);
    expect(r.code, r.stdout.split('\n').slice(-3).join('\n') + r.stderr).toBe(0);
    const events = parseJsonLines(r.stdout);
    expect(eventsOf(events, 'migration_done').map((e) => e.tag)).toEqual(allTags.slice(2));
    expect(eventsOf(events, 'error')).toEqual([]);

    expect(await readApplied(check)).toHaveLength(allTags.length);
    // Every session is there, on a machine, with what it had (machine_id is new; 0004 archived and dropped
    // max_participants and location), and every booking too. The comparisons run at 1M rows: the 1s
    // timeout is lifted for this check's own session, as the migrator does for its own.
    await check.query(`SET statement_timeout = 0`);
    const kept = `id, trainer_id, scheduled_start, scheduled_end, status, current_participants, notes, session_type, created_at, updated_at`;
    const { rows: sessions } = await check.query<{ now: number; on_machine: number; differ: number }>(
      `SELECT (SELECT count(*)::int FROM training_sessions) AS now,
              (SELECT count(*)::int FROM training_sessions t JOIN machines m ON m.id = t.machine_id) AS on_machine,
              (SELECT count(*)::int FROM (SELECT ${kept} FROM timeout_expected.sessions
                                          EXCEPT SELECT ${kept} FROM training_sessions) d) AS differ`,
    );
    expect(sessions).toEqual([{ now: SESSIONS, on_machine: SESSIONS, differ: 0 }]);
    const { rows: bookings } = await check.query<{ now: number; differ: number }>(
      `SELECT (SELECT count(*)::int FROM training_session_members) AS now,
              (SELECT count(*)::int FROM (SELECT id, session_id, member_id, booking_status FROM timeout_expected.bookings
                                          EXCEPT SELECT id, session_id, member_id, booking_status FROM training_session_members) d) AS differ`,
    );
    expect(bookings).toEqual([{ now: SESSIONS / 10, differ: 0 }]);
    // The migrator lifted the timeout for its own session only: the database still sets it for everyone else.
    const fresh = await client(db.url);
    expect((await fresh.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '1s' }]);
  }, 1_800_000);
});
