import { trainingSessionMembers, trainingSessions } from '@gym/db';
import { useTestDatabase } from '@gym/testing';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { bookSession, toBookingError } from '../src/index.js';
import { addMember, ahead, machineIds, seenWaitingOnLock } from './fixtures.js';

// Issue 16, item 7: one confirmed booking per session for every write, a booking moved to another
// session included: the capacity trigger watches session_id, and a partial unique index
// (training_session_members_one_confirmed_idx) holds whatever the isolation level or the path of the write.
const t = useTestDatabase();
let machine: Record<1 | 2 | 3, string>;
let hour = 100;

beforeAll(async () => {
  machine = await machineIds(t.db);
});

/** A session booked by a new member (as the owner), a slot of its own; its id and the booking's id. */
async function booked(machineNumber: 1 | 2 | 3 = 1) {
  const member = await addMember(t.db);
  const session = await bookSession(t.db, { machineId: machine[machineNumber], memberId: member.id, ...ahead(hour++) });
  const [booking] = await t.db
    .select()
    .from(trainingSessionMembers)
    .where(eq(trainingSessionMembers.sessionId, session.id));
  return { sessionId: session.id, bookingId: booking!.id, memberId: member.id };
}

/** A session with no booking yet, written directly (as an admin's tool would). */
async function emptySession() {
  const [s] = await t.db
    .insert(trainingSessions)
    .values({ machineId: machine[2], ...ahead(hour++) })
    .returning();
  return s!.id;
}

async function confirmedOn(sessionId: string) {
  return t.db
    .select({ id: trainingSessionMembers.id })
    .from(trainingSessionMembers)
    .where(and(eq(trainingSessionMembers.sessionId, sessionId), eq(trainingSessionMembers.bookingStatus, 'confirmed')));
}

async function failing(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the statement to fail');
    },
    (e: unknown) => e,
  );
}

const move = (bookingId: string, sessionId: string) =>
  t.db.update(trainingSessionMembers).set({ sessionId }).where(eq(trainingSessionMembers.id, bookingId));

describe('a confirmed booking moved onto a session that has one', () => {
  it('session_full as the owner (the trigger, 23514); the booking stays where it was', async () => {
    const [a, b] = [await booked(), await booked()];
    const err = await failing(move(a.bookingId, b.sessionId));
    // The trigger refuses first, before the unique index is reached.
    expect(err).toMatchObject({ cause: { code: '23514', constraint: undefined } });
    expect(toBookingError(err)?.code).toBe('session_full');
    expect(await confirmedOn(b.sessionId)).toEqual([{ id: b.bookingId }]);
    expect(await confirmedOn(a.sessionId)).toEqual([{ id: a.bookingId }]);
    // A cancelled booking may be moved there, but not confirmed there; nor moved and confirmed at once.
    await t.db
      .update(trainingSessionMembers)
      .set({ bookingStatus: 'cancelled' })
      .where(eq(trainingSessionMembers.id, a.bookingId));
    await move(a.bookingId, b.sessionId);
    const confirm = t.db
      .update(trainingSessionMembers)
      .set({ bookingStatus: 'confirmed' })
      .where(eq(trainingSessionMembers.id, a.bookingId));
    expect(toBookingError(await failing(confirm))?.code).toBe('session_full');
    const c = await booked();
    const both = t.db
      .update(trainingSessionMembers)
      .set({ sessionId: c.sessionId, bookingStatus: 'confirmed' })
      .where(eq(trainingSessionMembers.id, a.bookingId));
    expect(toBookingError(await failing(both))?.code).toBe('session_full');
    expect(await confirmedOn(b.sessionId)).toEqual([{ id: b.bookingId }]);
    expect(await confirmedOn(c.sessionId)).toEqual([{ id: c.bookingId }]);
  });

  it.each([
    { level: 'read committed', outcome: 'session_full once the first move commits' },
    { level: 'repeatable read', outcome: 'a serialization failure (40001), then session_full when retried' },
  ] as const)(
    'two moves onto one empty session at once, at $level: one lands; the other gets $outcome',
    async ({ level }) => {
      const target = await emptySession();
      const [x, y] = [await booked(3), await booked(3)];
      const first = await t.pool.connect();
      const second = await t.pool.connect();
      try {
        // Both transactions take their snapshot before either move.
        for (const c of [first, second]) {
          await c.query(`BEGIN ISOLATION LEVEL ${level.toUpperCase()}`);
          await c.query('SELECT count(*) FROM training_session_members');
        }
        const secondPid = (await second.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        await first.query('UPDATE training_session_members SET session_id = $1 WHERE id = $2', [target, x.bookingId]);
        const secondMove = second
          .query('UPDATE training_session_members SET session_id = $1 WHERE id = $2', [target, y.bookingId])
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        // The second move waits for the first: seen in pg_stat_activity before the first commits.
        expect(await seenWaitingOnLock(t.pool, secondPid, secondMove), 'the second move waited on a lock').toBe(true);
        await first.query('COMMIT');
        const err = await secondMove;
        await second.query('ROLLBACK');
        if (level === 'read committed') {
          expect(err).toMatchObject({ code: '23514' });
          expect(toBookingError(err)?.code).toBe('session_full');
        } else {
          expect(err).toMatchObject({ code: '40001' });
          // The retry, with a snapshot that sees the first move, is refused like any other.
          await second.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
          const retried = await second
            .query('UPDATE training_session_members SET session_id = $1 WHERE id = $2', [target, y.bookingId])
            .then(
              () => undefined,
              (e: unknown) => e,
            );
          await second.query('ROLLBACK');
          expect(toBookingError(retried)?.code).toBe('session_full');
        }
      } finally {
        await first.query('ROLLBACK').catch(() => {});
        await second.query('ROLLBACK').catch(() => {});
        first.release();
        second.release();
      }
      expect(await confirmedOn(target)).toEqual([{ id: x.bookingId }]);
      expect(await confirmedOn(y.sessionId)).toEqual([{ id: y.bookingId }]);
    },
  );
});

describe('the unique index, for a write that skips the triggers', () => {
  it('session_replication_role = replica (superuser) skips the capacity trigger, and the index still refuses a second confirmed booking (23505, session_full)', async () => {
    const a = await booked();
    const b = await booked();
    const other = await addMember(t.db);
    const client = await t.pool.connect();
    const attempt = async (statement: string, params: unknown[]) => {
      await client.query('SAVEPOINT attempt');
      return client.query(statement, params).then(
        async () => {
          await client.query('RELEASE SAVEPOINT attempt');
          return undefined;
        },
        async (e: unknown) => {
          await client.query('ROLLBACK TO SAVEPOINT attempt');
          return e;
        },
      );
    };
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      // The triggers are off: an overlapping session on a.sessionId's machine and slot is written.
      const [s] = await t.db.select().from(trainingSessions).where(eq(trainingSessions.id, a.sessionId));
      expect(
        await attempt(
          `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end) VALUES ($1, $2, $3)`,
          [s!.machineId, s!.scheduledStart, s!.scheduledEnd],
        ),
      ).toBeUndefined();
      // A second confirmed booking, inserted or moved in: the index refuses both.
      const inserted = await attempt(`INSERT INTO training_session_members (session_id, member_id) VALUES ($1, $2)`, [
        a.sessionId,
        other.id,
      ]);
      expect(inserted).toMatchObject({ code: '23505', constraint: 'training_session_members_one_confirmed_idx' });
      expect(toBookingError(inserted)?.code).toBe('session_full');
      const moved = await attempt('UPDATE training_session_members SET session_id = $1 WHERE id = $2', [
        a.sessionId,
        b.bookingId,
      ]);
      expect(moved).toMatchObject({ code: '23505', constraint: 'training_session_members_one_confirmed_idx' });
      expect(toBookingError(moved)?.code).toBe('session_full');
      // Only confirmed bookings count: a waitlisted one is written.
      expect(
        await attempt(
          `INSERT INTO training_session_members (session_id, member_id, booking_status) VALUES ($1, $2, 'waitlisted')`,
          [a.sessionId, other.id],
        ),
      ).toBeUndefined();
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    expect(await confirmedOn(a.sessionId)).toEqual([{ id: a.bookingId }]);
    expect(await confirmedOn(b.sessionId)).toEqual([{ id: b.bookingId }]);
  });
});
