import { ExitCode } from '@gym/migrate';
import { runCli } from '@gym/testing/cli';
import type { TestDatabase } from '@gym/testing/db';
import { migrateTo, rollbackTo } from '@gym/testing/migrate';
import { expectOneLineError } from '@gym/testing/output';
import { allTags } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { catalogSnapshot, dataSnapshot } from '@gym/testing/snapshot';
import { runSqlFileByHand } from '@gym/testing/sql-file';
import { describe, expect, it } from 'vitest';

// Issue 8, item 4: 0007_training_sessions_integrity on a database that US-002 left with double bookings.
const TAG = '0007_training_sessions_integrity';
const CALENDAR = '0008_training_sessions_calendar';
const BEFORE = allTags[allTags.indexOf(TAG) - 1]!;
const { database } = perTestResources();

const names = ['A', 'B', 'C', 'D', 'cancelled', 'completed', 'H'] as const;
type SessionName = (typeof names)[number];

interface Legacy {
  machine: Record<1 | 2 | 3, string>;
  /** Session ids by name. */
  s: Record<SessionName, string>;
  trainer: string;
  members: string[];
}

/**
 * A database at the migration before 0007 with what US-002 left: every old session on Machine 1. A to D
 * overlap (10:00-11:00, 10:15-11:15, 10:30-11:30, 10:45-11:45), each with a trainer and a confirmed
 * booking; a cancelled and a completed session overlap them too; H starts when D ends.
 */
async function legacyDatabase(): Promise<TestDatabase & Legacy> {
  const db = await database('empty');
  await migrateTo(db.url, BEFORE);
  const { rows: ms } = await db.query<{ id: string; machine_number: 1 | 2 | 3 }>(
    'SELECT id, machine_number FROM machines',
  );
  const machine = Object.fromEntries(ms.map((m) => [m.machine_number, m.id])) as Legacy['machine'];
  const {
    rows: [trainer],
  } = await db.query<{ id: string }>(
    `INSERT INTO trainers (first_name, last_name, email) VALUES ('Tom', 'T', 'tom@gym.test') RETURNING id`,
  );
  const { rows: members } = await db.query<{ id: string }>(
    `INSERT INTO members (first_name, last_name, email)
     SELECT 'Member', n, lower(n) || '@gym.test' FROM unnest($1::text[]) n RETURNING id`,
    [names],
  );
  const slots: [SessionName, string, string, string][] = [
    ['A', '10:00', '11:00', 'scheduled'],
    ['B', '10:15', '11:15', 'scheduled'],
    ['C', '10:30', '11:30', 'in_progress'],
    ['D', '10:45', '11:45', 'scheduled'],
    ['cancelled', '10:00', '11:00', 'cancelled'],
    ['completed', '10:10', '11:10', 'completed'],
    ['H', '11:45', '12:45', 'scheduled'],
  ];
  const s = {} as Record<SessionName, string>;
  for (const [i, [name, from, to, status]] of slots.entries()) {
    const {
      rows: [row],
    } = await db.query<{ id: string }>(
      `INSERT INTO training_sessions (machine_id, trainer_id, scheduled_start, scheduled_end, status, notes)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [machine[1], trainer!.id, `2026-06-01T${from}:00Z`, `2026-06-01T${to}:00Z`, status, name],
    );
    s[name] = row!.id;
    await db.query(`INSERT INTO training_session_members (session_id, member_id) VALUES ($1, $2)`, [
      row!.id,
      members[i]!.id,
    ]);
  }
  return Object.assign(db, { machine, s, trainer: trainer!.id, members: members.map((m) => m.id) });
}

async function placement(db: TestDatabase) {
  const { rows } = await db.query<{ notes: string; machine_number: number }>(
    `SELECT ts.notes, m.machine_number FROM training_sessions ts JOIN machines m ON m.id = ts.machine_id`,
  );
  return Object.fromEntries(rows.map((r) => [r.notes, r.machine_number]));
}

describe('legacy double bookings', () => {
  it('3 overlapping sessions end up on machines 1, 2 and 3; a 4th stays, listed in session_conflicts; exit 0', async () => {
    const db = await legacyDatabase();
    const before = await db.query(
      `SELECT id, trainer_id, scheduled_start, scheduled_end, status, updated_at FROM training_sessions ORDER BY id`,
    );
    const bookingsBefore = await db.query('SELECT * FROM training_session_members ORDER BY id');

    const r = await runCli(['migrate', '--url', db.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/1 overlapping legacy session\(s\) fit on no machine/);

    expect(await placement(db)).toEqual({ A: 1, B: 2, C: 3, D: 1, cancelled: 1, completed: 1, H: 1 });
    // Time, trainer, status, updated_at and bookings are kept.
    expect(
      (
        await db.query(
          `SELECT id, trainer_id, scheduled_start, scheduled_end, status, updated_at FROM training_sessions ORDER BY id`,
        )
      ).rows,
    ).toEqual(before.rows);
    expect((await db.query('SELECT * FROM training_session_members ORDER BY id')).rows).toEqual(bookingsBefore.rows);

    const { rows: moves } = await db.query(
      `SELECT session_id, from_machine_id, to_machine_id, moved_at IS NOT NULL AS dated FROM session_machine_moves ORDER BY (SELECT scheduled_start FROM training_sessions WHERE id = session_id)`,
    );
    expect(moves).toEqual([
      { session_id: db.s.B, from_machine_id: db.machine[1], to_machine_id: db.machine[2], dated: true },
      { session_id: db.s.C, from_machine_id: db.machine[1], to_machine_id: db.machine[3], dated: true },
    ]);
    const { rows: conflicts } = await db.query('SELECT session_id, machine_id FROM session_conflicts');
    expect(conflicts).toEqual([{ session_id: db.s.D, machine_id: db.machine[1] }]);

    // New bookings may not overlap the session left in conflict (A ends at 11:00, D runs to 11:45).
    await expect(
      db.query(`SELECT create_training_session_with_members($1, $2, '2026-06-01T11:30Z', '2026-06-01T11:40Z')`, [
        db.machine[1],
        db.members[0],
      ]),
    ).rejects.toMatchObject({ code: '23P01', constraint: 'training_sessions_no_overlap' });
    // ...but it can still be edited where it is, and moved to a free slot.
    await db.query(`UPDATE training_sessions SET notes = 'D' || '' WHERE id = $1`, [db.s.D]);
    await db.query(`UPDATE training_sessions SET machine_id = $1 WHERE id = $2`, [db.machine[2], db.s.D]).then(
      () => {
        throw new Error('machine 2 holds B until 11:15');
      },
      (e: { code: string }) => expect(e.code).toBe('23P01'),
    );
    await db.query(
      `UPDATE training_sessions SET scheduled_start = '2026-06-01T13:00Z', scheduled_end = '2026-06-01T14:00Z' WHERE id = $1`,
      [db.s.D],
    );
    expect((await db.query('SELECT * FROM session_conflicts')).rows).toEqual([]);
  });

  it('moves are admin-only reading: RLS on, one SELECT policy for admins; anon has no privilege', async () => {
    const db = await legacyDatabase();
    await migrateTo(db.url);
    const { rows } = await db.query<{ rls: boolean; policies: string[]; anon: boolean }>(
      `SELECT c.relrowsecurity AS rls,
              (SELECT array_agg(polname || ' ' || polcmd::text || ' ' || pg_get_expr(polqual, polrelid)) FROM pg_policy WHERE polrelid = c.oid) AS policies,
              has_table_privilege('anon', c.oid, 'SELECT') AS anon
         FROM pg_class c WHERE c.oid = 'session_machine_moves'::regclass`,
    );
    expect(rows).toEqual([
      {
        rls: true,
        policies: ['session_machine_moves_admin_read r ( SELECT gym_private.is_admin() AS is_admin)'],
        anon: false,
      },
    ]);
  });

  it('rollback puts the moved sessions back and loses nothing; migrating again makes the same moves', async () => {
    const db = await legacyDatabase();
    const catalog = await catalogSnapshot(db);
    const data = await dataSnapshot(db);
    await migrateTo(db.url);
    const after = await placement(db);
    await rollbackTo(db.url, BEFORE);
    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await dataSnapshot(db)).toEqual(data);
    await migrateTo(db.url);
    expect(await placement(db)).toEqual(after);
  });

  it('run twice by hand (psql -f), the second run changes nothing', async () => {
    const db = await legacyDatabase();
    for (const tag of [TAG, CALENDAR]) {
      await runSqlFileByHand(db.pool, tag);
      const catalog = await catalogSnapshot(db);
      const data = await dataSnapshot(db);
      await runSqlFileByHand(db.pool, tag);
      expect(await catalogSnapshot(db), tag).toEqual(catalog);
      expect(await dataSnapshot(db), tag).toEqual(data);
    }
    expect(await placement(db)).toMatchObject({ A: 1, B: 2, C: 3, D: 1 });
  });
});

describe('old rows that break the new CHECKs', () => {
  async function expectRefusedUnchanged(db: TestDatabase, ...fragments: (string | RegExp)[]) {
    const catalog = await catalogSnapshot(db);
    const data = await dataSnapshot(db);
    const r = await runCli(['migrate', '--url', db.url]);
    const line = expectOneLineError(r, ExitCode.migrationFailed);
    expect(line).toContain(`migration ${TAG} failed`);
    expect(line).toContain('SQLSTATE GYM07');
    for (const f of fragments) expect(line).toMatch(f);
    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await dataSnapshot(db)).toEqual(data);
  }

  it('sessions that end at or before their start: one line naming them and the fix, nothing changed', async () => {
    const db = await legacyDatabase();
    await db.query(`UPDATE training_sessions SET scheduled_end = scheduled_start WHERE id = $1`, [db.s.H]);
    await db.query(`UPDATE training_sessions SET scheduled_end = scheduled_start - interval '1 hour' WHERE id = $1`, [
      db.s.completed,
    ]);
    await expectRefusedUnchanged(
      db,
      '2 training session(s) end at or before their start',
      db.s.H,
      db.s.completed,
      /Fix their times/,
    );
  });

  it('a status outside the four: one line naming the session and its status, nothing changed', async () => {
    const db = await legacyDatabase();
    await db.query(`UPDATE training_sessions SET status = 'bogus' WHERE id = $1`, [db.s.H]);
    await expectRefusedUnchanged(db, '1 training session(s) have a status other than', `${db.s.H} (bogus)`);
  });
});

describe('after the migration', () => {
  it('current_participants written by hand before it is recounted from confirmed bookings', async () => {
    const db = await legacyDatabase();
    await db.query(`UPDATE training_sessions SET current_participants = 5 WHERE id = $1`, [db.s.A]);
    await db.query(`UPDATE training_session_members SET booking_status = 'cancelled' WHERE session_id = $1`, [db.s.B]);
    await db.query(`UPDATE training_sessions SET current_participants = 1 WHERE id = $1`, [db.s.B]);
    await migrateTo(db.url);
    const { rows } = await db.query<{ id: string; current_participants: number }>(
      'SELECT id, current_participants FROM training_sessions WHERE id = ANY($1)',
      [[db.s.A, db.s.B]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, r.current_participants]))).toEqual({ [db.s.A]: 1, [db.s.B]: 0 });
  });

  it("the calendar's participants are the confirmed bookings' {id, name, email}, with created_at and updated_at", async () => {
    const db = await legacyDatabase();
    await migrateTo(db.url);
    await db.query(`UPDATE training_session_members SET booking_status = 'cancelled' WHERE session_id = $1`, [db.s.B]);
    const { rows } = await db.query(
      `SELECT id, participants, created_at IS NOT NULL AS created, updated_at IS NOT NULL AS updated
         FROM training_sessions_calendar WHERE id = ANY($1)`,
      [[db.s.A, db.s.B]],
    );
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[db.s.A]).toEqual({
      id: db.s.A,
      participants: [{ id: db.members[0], name: 'Member A', email: 'a@gym.test' }],
      created: true,
      updated: true,
    });
    expect(byId[db.s.B]).toMatchObject({ participants: [] });
    const { rows: opts } = await db.query(
      `SELECT relname, reloptions FROM pg_class WHERE relname IN ('training_sessions_calendar', 'session_conflicts') ORDER BY 1`,
    );
    expect(opts).toEqual([
      { relname: 'session_conflicts', reloptions: ['security_invoker=true'] },
      { relname: 'training_sessions_calendar', reloptions: ['security_invoker=true'] },
    ]);
  });
});
