import { asCaller, type CallerClaims, members, trainingSessionMembers, trainingSessions } from '@gym/db';
import { useTestDatabase } from '@gym/testing';
import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BookingErrorCode, bookSession, cancelSession, toBookingError } from '../src/index.js';
import {
  addMember,
  addSignedInMember,
  addTrainer,
  adminClaims,
  ahead,
  machineIds,
  refusal,
  rpcBook,
  seenWaitingOnLock,
} from './fixtures.js';

// Issue 16, item 5: the studio's booking rules hold for a member's request however it comes in: the RPC
// as PostgREST calls it (role authenticated, the JWT claims set), and bookSession inside @gym/db's asCaller.
// Every date is relative to the run (ahead()), so the suite holds next year too.
const t = useTestDatabase();
let machine: Record<1 | 2 | 3, string>;
const HOUR = 3_600_000;

beforeAll(async () => {
  machine = await machineIds(t.db);
});

/** The member's bookings, as the owner sees them. */
async function bookingsOf(memberId: string) {
  return t.db.select().from(trainingSessionMembers).where(eq(trainingSessionMembers.memberId, memberId));
}

interface Attempt {
  machineId: string;
  memberId: string;
  scheduledStart: Date | string;
  scheduledEnd: Date | string;
  trainerId?: string | null;
}

const viaBookSession = (claims: CallerClaims, a: Attempt) => asCaller(t.db, claims, (tx) => bookSession(tx, a));
const viaRpc = (claims: CallerClaims, a: Attempt) =>
  rpcBook(t.pool, claims, { ...a, start: a.scheduledStart, end: a.scheduledEnd });

/**
 * Both ways in refuse `a`: the RPC with this SQLSTATE and constraint (which toBookingError maps to `code`),
 * bookSession with BookingError `code`; and nothing is booked for the member.
 */
async function refusedBothWays(
  claims: CallerClaims,
  a: Attempt,
  sqlstate: string,
  constraint: string | undefined,
  code: BookingErrorCode,
) {
  const before = await bookingsOf(a.memberId);
  const raw = await viaRpc(claims, a);
  expect(raw).toMatchObject({ error: { code: sqlstate, constraint } });
  expect(toBookingError((raw as { raw: unknown }).raw)?.code).toBe(code);
  await refusal(viaBookSession(claims, a), code);
  expect(await bookingsOf(a.memberId)).toEqual(before);
}

describe("a member's own booking, through the RPC and through bookSession", () => {
  it('books within the rules: up to max_slot_minutes (120) long, up to max_days_ahead (28) days ahead', async () => {
    const { member, claims } = await addSignedInMember(t.db);
    const raw = await viaRpc(claims, { machineId: machine[1], memberId: member.id, ...ahead(0, 120) });
    expect(raw).toEqual({ id: expect.any(String) });
    const session = await viaBookSession(claims, { machineId: machine[1], memberId: member.id, ...ahead(26 * 24) });
    expect(session).toMatchObject({ machineId: machine[1], status: 'scheduled', trainerId: null });
    expect((await bookingsOf(member.id)).map((b) => b.sessionId).sort()).toEqual(
      [(raw as { id: string }).id, session.id].sort(),
    );
  });

  it("invalid_time_range: a slot until 'infinity' (22023 from the function, for every caller; the CHECK for a direct write)", async () => {
    const { member, claims } = await addSignedInMember(t.db);
    const { scheduledStart } = ahead(1);
    const untilInfinity = { machineId: machine[2], memberId: member.id, scheduledStart, scheduledEnd: 'infinity' };
    // Through the RPC the server reads 'infinity'; a JSON caller of bookSession is refused by its schema.
    await refusedBothWays(claims, untilInfinity, '22023', undefined, 'invalid_time_range');
    const fromMinusInfinity = { ...untilInfinity, scheduledStart: '-infinity', scheduledEnd: ahead(2).scheduledEnd };
    await refusedBothWays(claims, fromMinusInfinity, '22023', undefined, 'invalid_time_range');
    await refusal(
      viaBookSession(claims, { ...untilInfinity, scheduledEnd: new Date(Number.POSITIVE_INFINITY) }),
      'invalid_time_range',
    );
    // Not a member rule: an admin's RPC is refused too, and so is the owner's direct INSERT (the CHECK).
    expect(await viaRpc(adminClaims(), untilInfinity)).toMatchObject({ error: { code: '22023' } });
    const direct = await t.pool
      .query(`INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end) VALUES ($1, $2, 'infinity')`, [
        machine[2],
        scheduledStart,
      ])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(direct).toMatchObject({ code: '23514', constraint: 'training_sessions_finite_times_check' });
    expect(toBookingError(direct)?.code).toBe('invalid_time_range');
    const infinite = await t.db
      .select({ n: sql<number>`count(*)::int` })
      .from(trainingSessions)
      .where(sql`NOT (isfinite(${trainingSessions.scheduledStart}) AND isfinite(${trainingSessions.scheduledEnd}))`);
    expect(infinite).toEqual([{ n: 0 }]);
  });

  it('start_in_past: a session on 2020-01-01, or one that began an hour ago (23514 booking_rules_start_not_in_past); an admin records a past session', async () => {
    const { member, claims } = await addSignedInMember(t.db);
    const in2020 = { scheduledStart: '2020-01-01T10:00:00Z', scheduledEnd: '2020-01-01T11:00:00Z' };
    const anHourAgo = { scheduledStart: new Date(Date.now() - HOUR), scheduledEnd: new Date(Date.now() + HOUR / 2) };
    for (const slot of [in2020, anHourAgo]) {
      await refusedBothWays(
        claims,
        { machineId: machine[3], memberId: member.id, ...slot },
        '23514',
        'booking_rules_start_not_in_past',
        'start_in_past',
      );
    }
    // An admin (app_metadata.role = 'admin') records what happened, for any member.
    const raw = await viaRpc(adminClaims(), { machineId: machine[3], memberId: member.id, ...in2020 });
    expect(raw).toEqual({ id: expect.any(String) });
    const lastWeek = new Date(Date.now() - 7 * 24 * HOUR);
    const recorded = await viaBookSession(adminClaims(), {
      machineId: machine[3],
      memberId: member.id,
      scheduledStart: lastWeek,
      scheduledEnd: new Date(lastWeek.getTime() + HOUR),
    });
    expect(recorded.scheduledStart).toEqual(lastWeek);
    expect(await bookingsOf(member.id)).toHaveLength(2);
  });

  it('slot_too_long: longer than max_slot_minutes, up to days long (23514 booking_rules_max_slot_minutes)', async () => {
    const { member, claims } = await addSignedInMember(t.db);
    for (const minutes of [121, 24 * 60, 5 * 24 * 60]) {
      await refusedBothWays(
        claims,
        { machineId: machine[1], memberId: member.id, ...ahead(48, minutes) },
        '23514',
        'booking_rules_max_slot_minutes',
        'slot_too_long',
      );
    }
  });

  it('too_far_ahead: a start more than max_days_ahead days from now (23514 booking_rules_max_days_ahead)', async () => {
    const { member, claims } = await addSignedInMember(t.db);
    for (const days of [29, 365]) {
      await refusedBothWays(
        claims,
        { machineId: machine[2], memberId: member.id, ...ahead(days * 24) },
        '23514',
        'booking_rules_max_days_ahead',
        'too_far_ahead',
      );
    }
  });

  it('member_inactive: an inactive member cannot book (55000 booking_rules_member_active)', async () => {
    const { member, claims } = await addSignedInMember(t.db, 'inactive');
    await refusedBothWays(
      claims,
      { machineId: machine[1], memberId: member.id, ...ahead(50) },
      '55000',
      'booking_rules_member_active',
      'member_inactive',
    );
    // Active again, the same request books.
    await t.db.update(members).set({ status: 'active' }).where(eq(members.id, member.id));
    expect(await viaRpc(claims, { machineId: machine[1], memberId: member.id, ...ahead(50) })).toEqual({
      id: expect.any(String),
    });
  });

  it('not_allowed: a member books for nobody but themselves (42501)', async () => {
    const { claims } = await addSignedInMember(t.db);
    const other = await addSignedInMember(t.db);
    const offline = await addMember(t.db);
    for (const memberId of [other.member.id, offline.id]) {
      await refusedBothWays(
        claims,
        { machineId: machine[2], memberId, ...ahead(52) },
        '42501',
        undefined,
        'not_allowed',
      );
    }
  });

  it('trainer_not_allowed: a member names no trainer (42501 booking_rules_trainer_assignment); an admin does', async () => {
    const { member, claims } = await addSignedInMember(t.db);
    const trainer = await addTrainer(t.db);
    const withTrainer = { machineId: machine[3], memberId: member.id, trainerId: trainer.id, ...ahead(54) };
    await refusedBothWays(claims, withTrainer, '42501', 'booking_rules_trainer_assignment', 'trainer_not_allowed');
    const session = await viaBookSession(adminClaims(), withTrainer);
    expect(session.trainerId).toBe(trainer.id);
  });
});

describe('booking_rules: the limits, which an admin changes through the API without a migration', () => {
  const setLimit = (n: number) =>
    asCaller(t.db, adminClaims(), async (tx) => {
      const { rows } = await tx.execute<{ max_active_bookings_per_member: number }>(
        sql`UPDATE booking_rules SET max_active_bookings_per_member = ${n} RETURNING max_active_bookings_per_member`,
      );
      return rows;
    });
  const limit = async () =>
    (await t.pool.query<{ n: number }>('SELECT max_active_bookings_per_member AS n FROM booking_rules')).rows[0]!.n;

  afterEach(async () => {
    await setLimit(8);
    expect(await limit()).toBe(8);
  });

  it("booking_limit_reached (23514 booking_rules_max_active_bookings): an admin's new limit applies at once; past and cancelled sessions do not count", async () => {
    expect(await limit()).toBe(8);
    expect(await setLimit(2)).toEqual([{ max_active_bookings_per_member: 2 }]);
    const { member, claims } = await addSignedInMember(t.db);
    // A session that has ended holds nothing.
    const lastWeek = new Date(Date.now() - 7 * 24 * HOUR);
    await viaBookSession(adminClaims(), {
      machineId: machine[1],
      memberId: member.id,
      scheduledStart: lastWeek,
      scheduledEnd: new Date(lastWeek.getTime() + HOUR),
    });
    const first = await viaRpc(claims, { machineId: machine[1], memberId: member.id, ...ahead(60) });
    expect(first).toEqual({ id: expect.any(String) });
    await viaBookSession(claims, { machineId: machine[1], memberId: member.id, ...ahead(61) });
    const third = { machineId: machine[1], memberId: member.id, ...ahead(62) };
    await refusedBothWays(claims, third, '23514', 'booking_rules_max_active_bookings', 'booking_limit_reached');
    // A cancelled session frees its place...
    await cancelSession(t.db, (first as { id: string }).id);
    await viaBookSession(claims, third);
    await refusedBothWays(
      claims,
      { machineId: machine[1], memberId: member.id, ...ahead(63) },
      '23514',
      'booking_rules_max_active_bookings',
      'booking_limit_reached',
    );
    // ...and a higher limit lets the member book more, again without a migration.
    expect(await setLimit(3)).toEqual([{ max_active_bookings_per_member: 3 }]);
    expect(await viaRpc(claims, { machineId: machine[1], memberId: member.id, ...ahead(63) })).toEqual({
      id: expect.any(String),
    });
  });

  it('two bookings by one member at once cannot both be the last one allowed: the second waits for the first, then booking_limit_reached', async () => {
    expect(await setLimit(1)).toEqual([{ max_active_bookings_per_member: 1 }]);
    const { member, claims } = await addSignedInMember(t.db);
    const [first, second] = [await t.pool.connect(), await t.pool.connect()];
    const rpc = `SELECT create_training_session_with_members($1, $2, $3, $4) AS id`;
    try {
      for (const c of [first, second]) {
        await c.query('BEGIN');
        await c.query(`SELECT set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
        await c.query('SET LOCAL ROLE authenticated');
      }
      const secondPid = (await second.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const a = ahead(70);
      await first.query(rpc, [machine[1], member.id, a.scheduledStart, a.scheduledEnd]);
      // Another machine, another hour: only the limit stands between the two.
      const b = ahead(72);
      const secondBooking = second.query(rpc, [machine[2], member.id, b.scheduledStart, b.scheduledEnd]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(await seenWaitingOnLock(t.pool, secondPid, secondBooking), 'the second booking waited on a lock').toBe(
        true,
      );
      await first.query('COMMIT');
      const err = await secondBooking;
      expect(err).toMatchObject({ code: '23514', constraint: 'booking_rules_max_active_bookings' });
      expect(toBookingError(err)?.code).toBe('booking_limit_reached');
    } finally {
      await first.query('ROLLBACK').catch(() => {});
      await second.query('ROLLBACK').catch(() => {});
      first.release();
      second.release();
    }
    expect(await bookingsOf(member.id)).toHaveLength(1);
  });

  it('a member reads the rules and changes none of them', async () => {
    const { claims } = await addSignedInMember(t.db);
    const asMember = (statement: string) =>
      asCaller(t.db, claims, async (tx) => tx.execute(sql.raw(statement))).then(
        (r) => ({ rows: r.rows, rowCount: r.rowCount, code: undefined }),
        (e: unknown) => ({ rows: [], rowCount: 0, code: (e as { cause?: { code?: string } }).cause?.code }),
      );
    expect((await asMember('SELECT max_active_bookings_per_member AS n FROM booking_rules')).rows).toEqual([{ n: 8 }]);
    expect(await asMember('UPDATE booking_rules SET max_active_bookings_per_member = 1000')).toMatchObject({
      rowCount: 0,
      code: undefined,
    });
    expect(await asMember('DELETE FROM booking_rules')).toMatchObject({ code: '42501' });
    expect(await asMember('INSERT INTO booking_rules (id) VALUES (true)')).toMatchObject({ code: '42501' });
    expect(await limit()).toBe(8);
  });
});
