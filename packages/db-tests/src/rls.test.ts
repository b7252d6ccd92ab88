import { asCaller, createDb, trainingSessions } from '@gym/db';
import { asRole, type RoleRequest } from '@gym/testing/as-role';
import { createTestDatabase, type TestDatabase } from '@gym/testing/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 10: who may do what, through the API roles (SET ROLE plus the JWT claims, as PostgREST does), in
// both directions. Denials are real: an error (42501) where there is no privilege or a policy refuses a
// write, zero rows where a policy hides them.
let db: TestDatabase;
const ids: Record<string, string> = {};
const user = {
  m1: '00000000-0000-4000-8000-0000000000a1',
  m2: '00000000-0000-4000-8000-0000000000a2',
  t1: '00000000-0000-4000-8000-0000000000b1',
  t2: '00000000-0000-4000-8000-0000000000b2',
  admin: '00000000-0000-4000-8000-0000000000c1',
};
const anon: RoleRequest = { role: 'anon' };
const signedIn = (sub: string, admin = false): RoleRequest => ({
  role: 'authenticated',
  claims: { sub, role: 'authenticated', ...(admin ? { app_metadata: { role: 'admin' } } : {}) },
});
const member1 = signedIn(user.m1);
const member2 = signedIn(user.m2);
const trainer1 = signedIn(user.t1);
const admin = signedIn(user.admin, true);

const TABLES = ['machines', 'members', 'trainers', 'training_sessions', 'training_session_members'];
// A member's own booking must start in the future and within booking_rules.max_days_ahead (0009): two days
// from now, so that the suite holds whatever the date it runs on.
const BOOK = `SELECT create_training_session_with_members($1, $2, date_trunc('hour', now()) + interval '2 days',
  date_trunc('hour', now()) + interval '2 days 45 minutes') AS id`;

beforeAll(async () => {
  db = await createTestDatabase();
  const q = async (sql: string, params: unknown[] = []) => (await db.query<{ id: string }>(sql, params)).rows[0]!.id;
  for (const n of [1, 2, 3]) ids[`machine${n}`] = await q('SELECT id FROM machines WHERE machine_number = $1', [n]);
  ids.m1 = await q(
    `INSERT INTO members (first_name, last_name, email, auth_user_id) VALUES ('Mia', 'One', 'm1@gym.test', $1) RETURNING id`,
    [user.m1],
  );
  ids.m2 = await q(
    `INSERT INTO members (first_name, last_name, email, auth_user_id) VALUES ('Max', 'Two', 'm2@gym.test', $1) RETURNING id`,
    [user.m2],
  );
  ids.m3 = await q(
    `INSERT INTO members (first_name, last_name, email) VALUES ('Noa', 'Three', 'm3@gym.test') RETURNING id`,
  );
  ids.t1 = await q(
    `INSERT INTO trainers (first_name, last_name, email, auth_user_id) VALUES ('Tia', 'One', 't1@gym.test', $1) RETURNING id`,
    [user.t1],
  );
  ids.t2 = await q(
    `INSERT INTO trainers (first_name, last_name, email, auth_user_id) VALUES ('Teo', 'Two', 't2@gym.test', $1) RETURNING id`,
    [user.t2],
  );
  const book = (machine: string, member: string, trainer: string | null, day: number) =>
    q(
      `SELECT create_training_session_with_members($1, $2, $3::timestamptz, $3::timestamptz + interval '45 minutes', $4) AS id`,
      [machine, member, `2026-12-0${day}T09:00Z`, trainer],
    );
  // As the owner, a trusted backend connection: it books for anyone.
  ids.s1 = await book(ids.machine1!, ids.m1!, ids.t1!, 1);
  ids.s2 = await book(ids.machine2!, ids.m2!, ids.t2!, 2);
  ids.s3 = await book(ids.machine3!, ids.m3!, null, 3);
  // A session with a free place, so that a direct booking into it meets the policies and not the capacity.
  ids.s4 = await q(
    `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end) VALUES ($1, '2026-12-04T09:00Z', '2026-12-04T10:00Z') RETURNING id`,
    [ids.machine1],
  );
});
afterAll(async () => {
  await db?.drop();
});

const idsOf = (r: { rows: Record<string, unknown>[] }) => r.rows.map((x) => x.id as string).sort();

describe('anon (the public API key): nothing', () => {
  it.each([...TABLES, 'training_sessions_calendar', 'trainer_session_history', 'member_session_history'])(
    'cannot read %s',
    async (table) => {
      expect(await asRole(db.pool, anon, `SELECT * FROM ${table}`)).toMatchObject({ error: '42501' });
    },
  );

  it('cannot write, nor book', async () => {
    expect(await asRole(db.pool, anon, `UPDATE machines SET is_available = false`)).toMatchObject({ error: '42501' });
    expect(
      await asRole(db.pool, anon, `INSERT INTO members (first_name, last_name, email) VALUES ('x', 'y', 'z@gym.test')`),
    ).toMatchObject({ error: '42501' });
    expect(await asRole(db.pool, anon, BOOK, [ids.machine1, ids.m1])).toMatchObject({ error: '42501' });
  });
});

// Issue 16, item 8: Supabase signs a JWT for any self-registered or anonymous sign-in; such a user is
// nobody to the studio.
describe('a signed-in user who is no member, trainer or admin (self-registered, or an anonymous sign-in)', () => {
  const anonymousSignIn: RoleRequest = {
    role: 'authenticated',
    claims: { sub: '00000000-0000-4000-8000-0000000000d1', role: 'authenticated', is_anonymous: true },
  };
  const selfRegistered = signedIn('00000000-0000-4000-8000-0000000000d2');

  it.each([
    ['an anonymous sign-in', anonymousSignIn],
    ['a self-registered user', selfRegistered],
  ])('%s reads no trainer, no machine, no booking rules, and nothing else', async (_name, caller) => {
    for (const statement of [
      'SELECT id, first_name, last_name FROM trainers',
      'SELECT id FROM machines',
      'SELECT * FROM booking_rules',
      'SELECT id FROM members',
      'SELECT id FROM training_sessions',
      'SELECT id FROM training_session_members',
      'SELECT id FROM training_sessions_calendar',
      'SELECT * FROM trainer_contact($1)',
    ]) {
      const params = statement.includes('$1') ? [ids.t1] : [];
      expect(await asRole(db.pool, caller, statement, params), statement).toEqual({
        rows: [],
        rowCount: 0,
        error: undefined,
      });
    }
    expect(await asRole(db.pool, caller, BOOK, [ids.machine1, ids.m1])).toMatchObject({ error: '42501' });
  });

  it('the same statements read rows as a member: the emptiness above is the policies at work', async () => {
    expect((await asRole(db.pool, member1, 'SELECT id, first_name, last_name FROM trainers')).rowCount).toBe(2);
    expect((await asRole(db.pool, member1, 'SELECT id FROM machines')).rowCount).toBe(3);
    expect((await asRole(db.pool, member1, 'SELECT * FROM booking_rules')).rows).toEqual([
      expect.objectContaining({ max_slot_minutes: 120, max_days_ahead: 28, max_active_bookings_per_member: 8 }),
    ]);
  });
});

describe('trainers: names for the studio, email and phone for admins and the trainer', () => {
  it("a member reads trainers' names, and gets 42501 for their email or phone, however asked", async () => {
    const names = await asRole(db.pool, member1, 'SELECT first_name, last_name FROM trainers ORDER BY first_name');
    expect(names.rows).toEqual([
      { first_name: 'Teo', last_name: 'Two' },
      { first_name: 'Tia', last_name: 'One' },
    ]);
    for (const statement of [
      'SELECT email FROM trainers',
      'SELECT phone FROM trainers',
      'SELECT * FROM trainers',
      `SELECT id FROM trainers WHERE email = 't1@gym.test'`,
      'SELECT t FROM trainers t',
    ]) {
      expect(await asRole(db.pool, member1, statement), statement).toMatchObject({ error: '42501' });
    }
  });

  it('trainer_contact(): an admin and the trainer themselves get email and phone; another trainer, a member and anon do not', async () => {
    await db.query(`UPDATE trainers SET phone = '+44 20 0000 0001' WHERE id = $1`, [ids.t1]);
    const contact = 'SELECT email, phone FROM trainer_contact($1)';
    const t1Contact = [{ email: 't1@gym.test', phone: '+44 20 0000 0001' }];
    expect((await asRole(db.pool, admin, contact, [ids.t1])).rows).toEqual(t1Contact);
    expect((await asRole(db.pool, admin, contact, [ids.t2])).rows).toEqual([{ email: 't2@gym.test', phone: null }]);
    expect((await asRole(db.pool, trainer1, contact, [ids.t1])).rows).toEqual(t1Contact);
    const trainer2 = signedIn(user.t2);
    expect(await asRole(db.pool, trainer2, contact, [ids.t1])).toEqual({ rows: [], rowCount: 0, error: undefined });
    expect(await asRole(db.pool, trainer1, contact, [ids.t2])).toEqual({ rows: [], rowCount: 0, error: undefined });
    expect(await asRole(db.pool, member1, contact, [ids.t1])).toEqual({ rows: [], rowCount: 0, error: undefined });
    expect(await asRole(db.pool, anon, contact, [ids.t1])).toMatchObject({ error: '42501' });
    // The private function behind it is out of the API's reach: anon may not call it either.
    expect(await asRole(db.pool, anon, 'SELECT * FROM gym_private.trainer_contact($1)', [ids.t1])).toMatchObject({
      error: '42501',
    });
  });
});

describe('a member', () => {
  it('reads every machine and every trainer, and changes none', async () => {
    expect((await asRole(db.pool, member1, 'SELECT id FROM machines')).rowCount).toBe(3);
    expect((await asRole(db.pool, member1, 'SELECT id FROM trainers')).rowCount).toBe(2);
    expect(await asRole(db.pool, member1, 'UPDATE machines SET is_available = false')).toMatchObject({
      rowCount: 0,
      error: undefined,
    });
    expect(await asRole(db.pool, member1, `UPDATE trainers SET phone = '1'`)).toMatchObject({
      rowCount: 0,
      error: undefined,
    });
    expect(await asRole(db.pool, member1, `INSERT INTO machines (machine_number, name) VALUES (3, 'x')`)).toMatchObject(
      { error: '42501' },
    );
  });

  it('sees their own profile, bookings and sessions only', async () => {
    expect(idsOf(await asRole(db.pool, member1, 'SELECT id FROM members'))).toEqual([ids.m1]);
    expect(idsOf(await asRole(db.pool, member1, 'SELECT id FROM training_sessions'))).toEqual([ids.s1]);
    const bookings = await asRole(db.pool, member1, 'SELECT member_id, session_id FROM training_session_members');
    expect(bookings.rows).toEqual([{ member_id: ids.m1, session_id: ids.s1 }]);
    expect(idsOf(await asRole(db.pool, member2, 'SELECT id FROM training_sessions'))).toEqual([ids.s2]);
    expect(idsOf(await asRole(db.pool, member2, 'SELECT id FROM members'))).toEqual([ids.m2]);
  });

  it('reads the calendar with the same rights: their session only', async () => {
    const r = await asRole(db.pool, member1, 'SELECT id, trainer_name FROM training_sessions_calendar');
    expect(r.rows).toEqual([{ id: ids.s1, trainer_name: 'Tia One' }]);
    expect(idsOf(await asRole(db.pool, member2, 'SELECT id FROM training_sessions_calendar'))).toEqual([ids.s2]);
  });

  it('books for themselves through the booking function, and sees the new session', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('request.jwt.claims', $1, true)`, [JSON.stringify(member1.claims)]);
      await client.query('SET LOCAL ROLE authenticated');
      const { rows } = await client.query<{ id: string }>(BOOK, [ids.machine2, ids.m1]);
      const mine = await client.query<{ id: string }>('SELECT id FROM training_sessions ORDER BY scheduled_start');
      expect(mine.rows.map((r) => r.id)).toEqual([ids.s1, rows[0]!.id]);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('cannot book for someone else, nor write sessions or bookings directly', async () => {
    expect(await asRole(db.pool, member1, BOOK, [ids.machine2, ids.m2])).toMatchObject({ error: '42501' });
    expect(await asRole(db.pool, member1, BOOK, [ids.machine2, ids.m3])).toMatchObject({ error: '42501' });
    expect(
      await asRole(
        db.pool,
        member1,
        `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end) VALUES ($1, now(), now() + interval '1 hour')`,
        [ids.machine3],
      ),
    ).toMatchObject({ error: '42501' });
    expect(
      await asRole(db.pool, member1, 'INSERT INTO training_session_members (session_id, member_id) VALUES ($1, $2)', [
        ids.s4,
        ids.m1,
      ]),
    ).toMatchObject({ error: '42501' });
    expect(await asRole(db.pool, member1, `UPDATE training_sessions SET status = 'cancelled'`)).toMatchObject({
      rowCount: 0,
      error: undefined,
    });
    expect(await asRole(db.pool, member1, 'DELETE FROM training_session_members')).toMatchObject({
      rowCount: 0,
      error: undefined,
    });
  });
});

describe('a trainer', () => {
  it('sees the sessions they are assigned to, with their bookings and members', async () => {
    expect(idsOf(await asRole(db.pool, trainer1, 'SELECT id FROM training_sessions'))).toEqual([ids.s1]);
    expect((await asRole(db.pool, trainer1, 'SELECT member_id FROM training_session_members')).rows).toEqual([
      { member_id: ids.m1 },
    ]);
    expect(idsOf(await asRole(db.pool, trainer1, 'SELECT id FROM members'))).toEqual([ids.m1]);
    expect(idsOf(await asRole(db.pool, trainer1, 'SELECT id FROM training_sessions_calendar'))).toEqual([ids.s1]);
  });

  it("sets the status of their own sessions, and nothing else of them or of others'", async () => {
    expect(
      await asRole(db.pool, trainer1, `UPDATE training_sessions SET status = 'completed' WHERE id = $1`, [ids.s1]),
    ).toMatchObject({ rowCount: 1, error: undefined });
    expect(
      await asRole(db.pool, trainer1, `UPDATE training_sessions SET status = 'completed' WHERE id = $1`, [ids.s2]),
    ).toMatchObject({ rowCount: 0, error: undefined });
    expect(
      await asRole(
        db.pool,
        trainer1,
        `UPDATE training_sessions SET scheduled_start = scheduled_start + interval '1 hour' WHERE id = $1`,
        [ids.s1],
      ),
    ).toMatchObject({ error: '42501' });
    expect(
      await asRole(db.pool, trainer1, `UPDATE training_sessions SET trainer_id = $2 WHERE id = $1`, [ids.s1, ids.t2]),
    ).toMatchObject({ error: '42501' });
  });

  it('cannot book a member', async () => {
    expect(await asRole(db.pool, trainer1, BOOK, [ids.machine3, ids.m1])).toMatchObject({ error: '42501' });
  });
});

describe('an admin', () => {
  it('sees everything', async () => {
    expect((await asRole(db.pool, admin, 'SELECT id FROM members')).rowCount).toBe(3);
    expect(idsOf(await asRole(db.pool, admin, 'SELECT id FROM training_sessions'))).toEqual(
      [ids.s1, ids.s2, ids.s3, ids.s4].sort(),
    );
    expect((await asRole(db.pool, admin, 'SELECT id FROM training_session_members')).rowCount).toBe(3);
    expect((await asRole(db.pool, admin, 'SELECT id FROM training_sessions_calendar')).rowCount).toBe(4);
  });

  it('changes everything, and books for anyone', async () => {
    expect(
      await asRole(db.pool, admin, 'UPDATE machines SET is_available = false WHERE id = $1', [ids.machine3]),
    ).toMatchObject({ rowCount: 1 });
    expect(
      await asRole(
        db.pool,
        admin,
        // Within the 45-minute session: an end before the start is refused by a CHECK since 0007.
        `UPDATE training_sessions SET scheduled_start = scheduled_start + interval '10 minutes' WHERE id = $1`,
        [ids.s2],
      ),
    ).toMatchObject({ rowCount: 1 });
    expect(
      await asRole(
        db.pool,
        admin,
        `INSERT INTO trainers (first_name, last_name, email) VALUES ('New', 'T', 'new@gym.test')`,
      ),
    ).toMatchObject({ rowCount: 1 });
    expect(await asRole(db.pool, admin, BOOK, [ids.machine2, ids.m3])).toMatchObject({
      rowCount: 1,
      error: undefined,
    });
    expect(await asRole(db.pool, admin, 'DELETE FROM training_sessions WHERE id = $1', [ids.s3])).toMatchObject({
      rowCount: 1,
    });
  });
});

describe("asCaller() from @gym/db: an app's Drizzle queries on a user's behalf", () => {
  it('applies the policies of that user, and leaves the pooled connection as it was', async () => {
    const orm = createDb(db.pool);
    const mine = await asCaller(orm, { sub: user.m1 }, (tx) =>
      tx.select({ id: trainingSessions.id }).from(trainingSessions),
    );
    expect(mine.map((r) => r.id)).toEqual([ids.s1]);
    const asAdmin = await asCaller(orm, { sub: user.admin, app_metadata: { role: 'admin' } }, (tx) =>
      tx.select({ id: trainingSessions.id }).from(trainingSessions),
    );
    expect(asAdmin).toHaveLength(4);
    // Back outside the transaction: the owner again, no claims.
    const { rows } = await db.query(
      `SELECT current_user = session_user AS own_role, current_setting('request.jwt.claims', true) AS claims`,
    );
    expect(rows[0]).toMatchObject({ own_role: true });
    expect([null, '']).toContain(rows[0]!.claims);
  });
});
