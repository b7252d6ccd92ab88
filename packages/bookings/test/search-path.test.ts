import { asCaller, machines, trainingSessionMembers, trainingSessions } from '@gym/db';
import { useTestDatabase } from '@gym/testing';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { bookSession } from '../src/index.js';
import { addMember, addSignedInMember, adminClaims, ahead, machineIds, refusal } from './fixtures.js';

// Issue 16, item 4: a function with its owner's rights reads the real tables, whatever the caller put in
// its own temporary schema. PostgreSQL searches pg_temp first for tables unless search_path names it, and
// last where it is named last (CREATE FUNCTION, "Writing SECURITY DEFINER Functions Safely"). Every role
// has TEMP on the database by default, authenticated included; the attack needs a direct SQL session.
const t = useTestDatabase();
let machine: Record<1 | 2 | 3, string>;
const fixture: Record<string, string> = {};

beforeAll(async () => {
  machine = await machineIds(t.db);
  // As the owner: machine 3 out of service; machine 1 booked at ahead(10); machine 2 at ahead(20) and
  // ahead(30), each with its confirmed booking.
  await t.db.update(machines).set({ isAvailable: false }).where(eq(machines.id, machine[3]));
  const [x, y] = [await addMember(t.db), await addMember(t.db)];
  fixture.s1 = (await bookSession(t.db, { machineId: machine[1], memberId: x.id, ...ahead(10) })).id;
  fixture.s2 = (await bookSession(t.db, { machineId: machine[2], memberId: x.id, ...ahead(20) })).id;
  fixture.s3 = (await bookSession(t.db, { machineId: machine[2], memberId: y.id, ...ahead(30) })).id;
  const [b2] = await t.db.select().from(trainingSessionMembers).where(eq(trainingSessionMembers.sessionId, fixture.s2));
  fixture.b2 = b2!.id;
});

/**
 * Temporary tables that shadow the ones the functions read: every machine available, no session and no
 * booking anywhere, booking rules that allow anything, and `activeMemberId` active.
 */
function shadowTables(activeMemberId: string, onCommit = '') {
  const machineRows = ([1, 2, 3] as const)
    .map((n) => `('${machine[n]}', ${n}, 'Machine ${n}', true, now(), now())`)
    .join(', ');
  return [
    `CREATE TEMP TABLE machines (id uuid, machine_number int, name text, is_available boolean,
       created_at timestamptz, updated_at timestamptz) ${onCommit}`,
    `INSERT INTO pg_temp.machines VALUES ${machineRows}`,
    `CREATE TEMP TABLE training_sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), machine_id uuid,
       trainer_id uuid, scheduled_start timestamptz, scheduled_end timestamptz, status text DEFAULT 'scheduled',
       session_type text, notes text, current_participants integer DEFAULT 0, created_at timestamptz DEFAULT now(),
       updated_at timestamptz DEFAULT now()) ${onCommit}`,
    `CREATE TEMP TABLE training_session_members (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), session_id uuid,
       member_id uuid, booking_status text DEFAULT 'confirmed', created_at timestamptz DEFAULT now()) ${onCommit}`,
    `CREATE TEMP TABLE booking_rules (id boolean, max_slot_minutes integer, max_days_ahead integer,
       max_active_bookings_per_member integer, updated_at timestamptz) ${onCommit}`,
    'INSERT INTO pg_temp.booking_rules VALUES (true, 100000, 100000, 100000, now())',
    `CREATE TEMP TABLE members (id uuid, first_name text, last_name text, email text, auth_user_id uuid,
       status text) ${onCommit}`,
    `INSERT INTO pg_temp.members VALUES ('${activeMemberId}', 'Sam', 'Shadow', 'shadow@members.test', NULL, 'active')`,
  ];
}

describe('a temporary table cannot stand in for a table that a SECURITY DEFINER function reads', () => {
  it('through the RPC and direct writes in one SQL session as authenticated: the functions read public', async () => {
    const { member, claims } = await addSignedInMember(t.db);
    const inactive = await addSignedInMember(t.db, 'inactive');
    const client = await t.pool.connect();
    const setClaims = (c: object) =>
      client.query(`SELECT set_config('request.jwt.claims', $1, true)`, [JSON.stringify(c)]);
    /** One statement in a savepoint: its rows, or the SQLSTATE and constraint it failed with. */
    const attempt = async (statement: string, params: unknown[] = []) => {
      await client.query('SAVEPOINT attempt');
      try {
        const r = await client.query(statement, params);
        await client.query('RELEASE SAVEPOINT attempt');
        return { rows: r.rows as Record<string, unknown>[] };
      } catch (err) {
        await client.query('ROLLBACK TO SAVEPOINT attempt');
        const e = err as { code?: string; constraint?: string };
        return { error: { code: e.code, constraint: e.constraint } };
      }
    };
    const book = (memberId: string, machineId: string, slot: ReturnType<typeof ahead>) =>
      attempt(`SELECT create_training_session_with_members($1, $2, $3, $4) AS id`, [
        machineId,
        memberId,
        slot.scheduledStart,
        slot.scheduledEnd,
      ]);
    try {
      await client.query('BEGIN');
      await setClaims(claims);
      await client.query('SET LOCAL ROLE authenticated');
      const who = await client.query(
        `SELECT current_user AS role, has_database_privilege(current_user, current_database(), 'TEMP') AS temp`,
      );
      expect(who.rows).toEqual([{ role: 'authenticated', temp: true }]);
      for (const statement of shadowTables(inactive.member.id)) await client.query(statement);
      // The session itself now reads the shadows: machine 3 looks available, machine 1 free.
      const shadowed = await client.query('SELECT is_available FROM machines WHERE id = $1', [machine[3]]);
      expect(shadowed.rows).toEqual([{ is_available: true }]);
      expect((await client.query('SELECT id FROM training_sessions')).rows).toEqual([]);

      // The booking function reads the real machines, sessions, rules and members.
      expect(await book(member.id, machine[3], ahead(40))).toEqual({
        error: { code: '55000', constraint: undefined },
      });
      const overlapping = { ...ahead(10, 30), scheduledStart: new Date(ahead(10).scheduledStart.getTime() + 900_000) };
      expect(await book(member.id, machine[1], overlapping)).toEqual({
        error: { code: '23P01', constraint: 'training_sessions_no_overlap' },
      });
      expect(await book(member.id, machine[1], ahead(44, 300))).toEqual({
        error: { code: '23514', constraint: 'booking_rules_max_slot_minutes' },
      });
      await setClaims(inactive.claims);
      expect(await book(inactive.member.id, machine[1], ahead(44))).toEqual({
        error: { code: '55000', constraint: 'booking_rules_member_active' },
      });

      // An admin's moves, in the same session: the no-overlap trigger and the capacity trigger read public.
      await setClaims(adminClaims());
      const [s1] = await t.db.select().from(trainingSessions).where(eq(trainingSessions.id, fixture.s1!));
      expect(
        await attempt(
          'UPDATE public.training_sessions SET machine_id = $1, scheduled_start = $2, scheduled_end = $3 WHERE id = $4',
          [machine[1], s1!.scheduledStart, s1!.scheduledEnd, fixture.s2],
        ),
      ).toEqual({ error: { code: '23P01', constraint: 'training_sessions_no_overlap' } });
      // The trigger's refusal (23514, no constraint), not the unique index's (23505) behind it.
      expect(
        await attempt('UPDATE public.training_session_members SET session_id = $1 WHERE id = $2', [
          fixture.s3,
          fixture.b2,
        ]),
      ).toEqual({ error: { code: '23514', constraint: undefined } });

      // A booking that is allowed lands in public, and the shadows stay empty.
      await setClaims(claims);
      const booked = await book(member.id, machine[2], ahead(46));
      expect(booked).toEqual({ rows: [{ id: expect.any(String) }] });
      const id = (booked as { rows: { id: string }[] }).rows[0]!.id;
      expect((await client.query('SELECT id FROM public.training_sessions WHERE id = $1', [id])).rowCount).toBe(1);
      expect((await client.query('SELECT count(*)::int AS n FROM pg_temp.training_sessions')).rows).toEqual([{ n: 0 }]);
      expect((await client.query('SELECT count(*)::int AS n FROM pg_temp.training_session_members')).rows).toEqual([
        { n: 0 },
      ]);
    } finally {
      await client.query('ROLLBACK').catch(() => {});
      client.release(true);
    }
    // Nothing moved in the real tables.
    const [s2] = await t.db.select().from(trainingSessions).where(eq(trainingSessions.id, fixture.s2!));
    expect(s2!.machineId).toBe(machine[2]);
    const [b2] = await t.db.select().from(trainingSessionMembers).where(eq(trainingSessionMembers.id, fixture.b2!));
    expect(b2!.sessionId).toBe(fixture.s2);
    expect(await t.db.select().from(trainingSessions).where(eq(trainingSessions.machineId, machine[3]))).toEqual([]);
  });

  it('through bookSession in asCaller, with the shadows created in the same transaction', async () => {
    const { member, claims } = await addSignedInMember(t.db);
    await asCaller(t.db, claims, async (tx) => {
      for (const statement of shadowTables(member.id, 'ON COMMIT DROP')) await tx.execute(sql.raw(statement));
      await refusal(
        bookSession(tx, { machineId: machine[3], memberId: member.id, ...ahead(40) }),
        'machine_unavailable',
      );
      await refusal(bookSession(tx, { machineId: machine[1], memberId: member.id, ...ahead(10, 30) }), 'slot_taken');
      await refusal(
        bookSession(tx, { machineId: machine[1], memberId: member.id, ...ahead(48, 600) }),
        'slot_too_long',
      );
    });
    expect(
      await t.db.select().from(trainingSessionMembers).where(eq(trainingSessionMembers.memberId, member.id)),
    ).toEqual([]);
  });
});
