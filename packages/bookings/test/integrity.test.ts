import { trainingSessionMembers, trainingSessions } from '@gym/db';
import { useTestDatabase } from '@gym/testing';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { BookingError, bookSession, cancelSession, toBookingError } from '../src/index.js';
import { addMember, machineIds, refusal } from './fixtures.js';
import { race } from './race.js';

// Issue 8, item 4: the database refuses double bookings and impossible sessions, whoever writes them.
const t = useTestDatabase();
let machine: Record<1 | 2 | 3, string>;

beforeAll(async () => {
  machine = await machineIds(t.db);
});

/** A slot on 2027-03-<day> from hh:mm for `minutes`: each test takes its own day, apart from the others. */
function at(day: number, hhmm: string, minutes = 60) {
  const scheduledStart = new Date(`2027-03-${String(day).padStart(2, '0')}T${hhmm}:00Z`);
  return { scheduledStart, scheduledEnd: new Date(scheduledStart.getTime() + minutes * 60_000) };
}

async function failing(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the statement to fail');
    },
    (e: unknown) => e,
  );
}

async function book(machineNumber: 1 | 2 | 3, slot: ReturnType<typeof at>) {
  const member = await addMember(t.db);
  return bookSession(t.db, { machineId: machine[machineNumber], memberId: member.id, ...slot });
}

describe('no double booking', () => {
  it('slot_taken for a booking that overlaps a scheduled session on the same machine; nothing is created', async () => {
    await book(1, at(1, '10:00'));
    const member = await addMember(t.db);
    const err = await refusal(
      bookSession(t.db, { machineId: machine[1], memberId: member.id, ...at(1, '10:30') }),
      'slot_taken',
    );
    expect(err.cause).toMatchObject({ cause: { code: '23P01', constraint: 'training_sessions_no_overlap' } });
    await refusal(bookSession(t.db, { machineId: machine[1], memberId: member.id, ...at(1, '09:30') }), 'slot_taken');
    // Inside it, and around it.
    await refusal(
      bookSession(t.db, { machineId: machine[1], memberId: member.id, ...at(1, '10:15', 15) }),
      'slot_taken',
    );
    await refusal(
      bookSession(t.db, { machineId: machine[1], memberId: member.id, ...at(1, '09:00', 180) }),
      'slot_taken',
    );
    const bookings = await t.db
      .select()
      .from(trainingSessionMembers)
      .where(eq(trainingSessionMembers.memberId, member.id));
    expect(bookings).toEqual([]);
    // The same slot on another machine is free.
    await bookSession(t.db, { machineId: machine[2], memberId: member.id, ...at(1, '10:30') });
  });

  it('is half-open: a session ending at 11:00 and one starting at 11:00 do not overlap', async () => {
    await book(1, at(2, '10:00'));
    await book(1, at(2, '11:00'));
    await book(1, at(2, '09:00'));
    await refusal(book(1, at(2, '10:59', 2)), 'slot_taken');
  });

  it('an in-progress session holds its machine too', async () => {
    const s = await book(1, at(3, '10:00'));
    await t.db.update(trainingSessions).set({ status: 'in_progress' }).where(eq(trainingSessions.id, s.id));
    await refusal(book(1, at(3, '10:30')), 'slot_taken');
  });

  it('cancelled and completed sessions never conflict', async () => {
    const cancelled = await book(2, at(4, '10:00'));
    await cancelSession(t.db, cancelled.id);
    const completed = await book(2, at(4, '10:00'));
    await t.db.update(trainingSessions).set({ status: 'completed' }).where(eq(trainingSessions.id, completed.id));
    const third = await book(2, at(4, '10:00'));
    expect(third.status).toBe('scheduled');
  });

  it('slot_taken for moving a session onto a taken slot: another machine, another time, or back to scheduled', async () => {
    const taken = await book(1, at(5, '10:00'));
    const other = await book(2, at(5, '10:30'));
    const move = (set: Partial<typeof trainingSessions.$inferInsert>, id = other.id) =>
      failing(t.db.update(trainingSessions).set(set).where(eq(trainingSessions.id, id)));
    expect(toBookingError(await move({ machineId: machine[1] }))?.code).toBe('slot_taken');
    const later = await book(1, at(5, '12:00'));
    expect(toBookingError(await move({ scheduledStart: at(5, '10:45').scheduledStart }, later.id))?.code).toBe(
      'slot_taken',
    );
    // A cancelled session on the same slot cannot be scheduled again while the slot is taken.
    await cancelSession(t.db, taken.id);
    const replacement = await book(1, at(5, '10:00'));
    expect(toBookingError(await move({ status: 'scheduled' }, taken.id))?.code).toBe('slot_taken');
    // Rows stay where they were.
    const [row] = await t.db.select().from(trainingSessions).where(eq(trainingSessions.id, other.id));
    expect(row!.machineId).toBe(machine[2]);
    // An edit that does not move a session is not a conflict with itself.
    await t.db.update(trainingSessions).set({ notes: 'same slot' }).where(eq(trainingSessions.id, replacement.id));
  });

  it('ten clients booking overlapping slots at once, each on its own connection: one booked, nine slot_taken, all nine seen waiting on the first', async () => {
    const members = await Promise.all(Array.from({ length: 10 }, () => addMember(t.db)));
    // 10:00-11:00, 10:05-11:05, ... 10:45-11:45: every two of them overlap.
    const start = at(6, '10:00').scheduledStart.getTime();
    // The first books in an open transaction; the nine others start, and it commits only once
    // pg_stat_activity shows all nine waiting on its lock (race.ts), so the test cannot pass by running
    // the ten one after another.
    const outcome = await race({
      url: t.url,
      observer: t.db,
      level: 'read committed',
      competitors: 'own',
      machineId: machine[3],
      memberIds: members.map((m) => m.id),
      slots: members.map((_, i) => ({
        scheduledStart: new Date(start + i * 5 * 60_000),
        scheduledEnd: new Date(start + (60 + i * 5) * 60_000),
      })),
    });
    const results = [outcome.holder, ...outcome.competitors];
    const booked = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(booked).toHaveLength(1);
    expect(refused).toHaveLength(9);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(BookingError);
      expect((r.reason as BookingError).code).toBe('slot_taken');
    }
    expect(outcome.waitedOnLock).toBe(9);
    const onMachine = await t.db.select().from(trainingSessions).where(eq(trainingSessions.machineId, machine[3]));
    expect(onMachine.filter((s) => s.scheduledStart.getUTCDate() === 6)).toHaveLength(1);
  });
});

describe('CHECKs on a direct write', () => {
  it('invalid_time_range: an INSERT that ends at or before its start is refused by the CHECK', async () => {
    const { scheduledStart } = at(7, '10:00');
    for (const scheduledEnd of [scheduledStart, new Date(scheduledStart.getTime() - 60_000)]) {
      const err = await failing(
        t.db.insert(trainingSessions).values({ machineId: machine[1], scheduledStart, scheduledEnd }),
      );
      expect(err).toMatchObject({ cause: { code: '23514', constraint: 'training_sessions_end_after_start_check' } });
      expect(toBookingError(err)?.code).toBe('invalid_time_range');
    }
  });

  it('a status outside scheduled, in_progress, completed, cancelled is refused by the CHECK', async () => {
    const err = await failing(
      t.pool.query(
        `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end, status) VALUES ($1, $2, $3, 'bogus')`,
        [machine[1], at(8, '10:00').scheduledStart, at(8, '10:00').scheduledEnd],
      ),
    );
    expect(err).toMatchObject({ code: '23514', constraint: 'training_sessions_status_check' });
    // A programming error, not a refusal of the booking rules: left unmapped.
    expect(toBookingError(err)).toBeUndefined();
  });
});

describe('current_participants', () => {
  it('is the count of confirmed bookings, whatever an INSERT or UPDATE sets', async () => {
    const [s] = await t.db
      .insert(trainingSessions)
      .values({ machineId: machine[2], ...at(9, '10:00'), currentParticipants: 5 })
      .returning();
    expect(s!.currentParticipants).toBe(0);
    const member = await addMember(t.db);
    await t.db.insert(trainingSessionMembers).values({ sessionId: s!.id, memberId: member.id });
    const read = async () =>
      (await t.db.select().from(trainingSessions).where(eq(trainingSessions.id, s!.id)))[0]!.currentParticipants;
    expect(await read()).toBe(1);
    await t.db.update(trainingSessions).set({ currentParticipants: 9 }).where(eq(trainingSessions.id, s!.id));
    expect(await read()).toBe(1);
    await t.db
      .update(trainingSessionMembers)
      .set({ bookingStatus: 'cancelled' })
      .where(eq(trainingSessionMembers.sessionId, s!.id));
    expect(await read()).toBe(0);
  });
});
