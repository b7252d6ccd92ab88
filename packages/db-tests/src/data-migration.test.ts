import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './harness/db';
import { migrateTo } from './harness/migrate';
import { insertOldSchemaData, realisticOldSessions } from './harness/old-data';
import { US002_CONTRACT } from './harness/release';
import { rowsById } from './harness/snapshot';
import { archivedValues } from './harness/sql-file';

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

  it('AC-1: current_participants stays 0 or 1 and matches the confirmed bookings', async () => {
    const { rows } = await db.query<{ bad: string }>(
      `SELECT count(*) AS bad FROM training_sessions ts
        WHERE ts.current_participants NOT IN (0, 1)
           OR ts.current_participants <> (SELECT count(*) FROM training_session_members b
                                           WHERE b.session_id = ts.id AND b.booking_status = 'confirmed')`,
    );
    expect(rows[0]!.bad).toBe('0');
  });
});
