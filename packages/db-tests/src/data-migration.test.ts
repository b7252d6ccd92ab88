import { createTestDatabase, type TestDatabase } from '@gym/testing/db';
import { migrateTo } from '@gym/testing/migrate';
import { insertOldSchemaData, realisticOldSessions } from '@gym/testing/old-data';
import { US002_CONTRACT } from '@gym/testing/release';
import { rowsById } from '@gym/testing/snapshot';
import { archivedValues } from '@gym/testing/sql-file';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// US-002 AC-3 and AC-5: migrate to 0001_machines, load old-schema data, migrate to latest (expand and contract),
// compare every row.
const SESSIONS = 2000;
let db: TestDatabase;
let before: {
  sessions: Map<string, Record<string, unknown>>;
  bookings: Map<string, Record<string, unknown>>;
  trainers: Map<string, Record<string, unknown>>;
  members: Map<string, Record<string, unknown>>;
};
let machine1: string;

beforeAll(async () => {
  db = await createTestDatabase('empty');
  await migrateTo(db.url, '0001_machines');
  await insertOldSchemaData(db, { trainers: 7, members: 300, sessions: realisticOldSessions(SESSIONS) });
  before = {
    sessions: await rowsById(db, 'training_sessions'),
    bookings: await rowsById(db, 'training_session_members'),
    trainers: await rowsById(db, 'trainers'),
    members: await rowsById(db, 'members'),
  };
  machine1 = (await db.query<{ id: string }>('SELECT id FROM machines WHERE machine_number = 1')).rows[0]!.id;
  await migrateTo(db.url, US002_CONTRACT);
});
afterAll(async () => {
  await db?.drop();
});

describe('0002 to 0004 on a database full of old sessions', () => {
  it('the fixture is realistic: old columns set, some NULL, bookings and empty sessions', () => {
    const rows = [...before.sessions.values()];
    expect(rows).toHaveLength(SESSIONS);
    expect(rows.some((r) => r.location === null)).toBe(true);
    expect(rows.some((r) => r.location !== null)).toBe(true);
    expect(rows.some((r) => r.max_participants === null)).toBe(true);
    expect(rows.some((r) => r.max_participants === 2)).toBe(true);
    expect(rows.some((r) => r.current_participants === 1)).toBe(true);
    expect(rows.some((r) => r.current_participants === 0)).toBe(true);
  });

  it('AC-5: keeps every session, with every kept column unchanged (updated_at included)', async () => {
    const after = await rowsById(db, 'training_sessions');
    expect(after.size).toBe(before.sessions.size);
    for (const [id, old] of before.sessions) {
      const { max_participants: _m, location: _l, ...kept } = old;
      const { machine_id: _machine, ...now } = after.get(id)!;
      expect(now).toEqual(kept);
    }
  });

  it('AC-3: assigns every existing session to Machine 1', async () => {
    const { rows } = await db.query<{ machine_id: string; n: string }>(
      'SELECT machine_id, count(*) AS n FROM training_sessions GROUP BY machine_id',
    );
    expect(rows).toEqual([{ machine_id: machine1, n: String(SESSIONS) }]);
  });

  it('AC-2: every session keeps its trainer', async () => {
    const after = await rowsById(db, 'training_sessions');
    for (const [id, old] of before.sessions) expect(after.get(id)!.trainer_id).toBe(old.trainer_id);
  });

  it('AC-5: bookings, trainers and members are untouched', async () => {
    expect(await rowsById(db, 'training_session_members')).toEqual(before.bookings);
    expect(await rowsById(db, 'trainers')).toEqual(before.trainers);
    expect(await rowsById(db, 'members')).toEqual(before.members);
  });

  it('AC-5: the dropped values are archived, for every session, for the rollback', async () => {
    const archived = await archivedValues(db);
    expect(archived.size).toBe(SESSIONS);
    for (const [id, old] of before.sessions) {
      expect(archived.get(id)).toEqual({ max_participants: old.max_participants, location: old.location });
    }
  });

  it('AC-1: current_participants stays 0 or 1: a session the old schema let take 2 now refuses a second confirmed booking, and the count follows the bookings', async () => {
    const { rows } = await db.query<{ bad: string }>(
      `SELECT count(*) AS bad FROM training_sessions ts
        WHERE ts.current_participants NOT IN (0, 1)
           OR ts.current_participants <> (SELECT count(*) FROM training_session_members b
                                           WHERE b.session_id = ts.id AND b.booking_status = 'confirmed')`,
    );
    expect(rows[0]!.bad).toBe('0');

    // The fixture guarantees the above (the old schema kept the count); what the migration must add is the
    // limit of one, on sessions whose max_participants was 2. In a transaction that is rolled back, so the
    // other tests see the data as migrated.
    const bookedSessions = new Set([...before.bookings.values()].map((b) => b.session_id));
    const roomy = [...before.sessions.values()].find((r) => r.max_participants === 2 && bookedSessions.has(r.id))!;
    expect(roomy).toBeDefined();
    const c = await db.pool.connect();
    try {
      await c.query('BEGIN');
      const participants = async () =>
        (
          await c.query<{ n: number }>('SELECT current_participants AS n FROM training_sessions WHERE id = $1', [
            roomy.id,
          ])
        ).rows[0]!.n;
      expect(await participants()).toBe(1);
      const { rows: other } = await c.query<{ id: string }>(
        `SELECT id FROM members WHERE id NOT IN (SELECT member_id FROM training_session_members WHERE session_id = $1) LIMIT 1`,
        [roomy.id],
      );
      await c.query('SAVEPOINT second');
      await expect(
        c.query(
          `INSERT INTO training_session_members (session_id, member_id, booking_status) VALUES ($1, $2, 'confirmed')`,
          [roomy.id, other[0]!.id],
        ),
      ).rejects.toMatchObject({ code: '23514', message: expect.stringMatching(/is full \(1 of 1 places taken\)/) });
      await c.query('ROLLBACK TO SAVEPOINT second');
      expect(await participants()).toBe(1);
      await c.query(`UPDATE training_session_members SET booking_status = 'cancelled' WHERE session_id = $1`, [
        roomy.id,
      ]);
      expect(await participants()).toBe(0);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });
});
