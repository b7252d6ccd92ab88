import { createSessionDataSchema, machines, trainingSessionMembers, trainingSessions } from '@gym/db';
import { useTestDatabase } from '@gym/testing';
import { DrizzleQueryError, eq, sql, TransactionRollbackError } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assignTrainer,
  bookSession,
  cancelSession,
  listMachines,
  setMachineAvailability,
  toBookingError,
} from '../src/index.js';
import { addMember, addTrainer, machineIds, refusal, slot, unknownId } from './fixtures.js';

const t = useTestDatabase();
let machine: Record<1 | 2 | 3, string>;

beforeAll(async () => {
  machine = await machineIds(t.db);
});
afterEach(async () => {
  await t.db.update(machines).set({ isAvailable: true });
});

async function sessionCount() {
  return (await t.db.select({ n: sql<number>`count(*)::int` }).from(trainingSessions))[0]!.n;
}

describe('bookSession', () => {
  it('books one member on a machine, trainer optional, and returns the session', async () => {
    const member = await addMember(t.db);
    const session = await bookSession(t.db, { machineId: machine[2], memberId: member.id, ...slot(0) });
    expect(session).toMatchObject({
      machineId: machine[2],
      trainerId: null,
      status: 'scheduled',
      ...slot(0),
    });
    const bookings = await t.db
      .select({ memberId: trainingSessionMembers.memberId, status: trainingSessionMembers.bookingStatus })
      .from(trainingSessionMembers)
      .where(eq(trainingSessionMembers.sessionId, session.id));
    expect(bookings).toEqual([{ memberId: member.id, status: 'confirmed' }]);
  });

  it('takes a trainer, a session type and notes', async () => {
    const [member, trainer] = [await addMember(t.db), await addTrainer(t.db)];
    const session = await bookSession(t.db, {
      machineId: machine[1],
      memberId: member.id,
      trainerId: trainer.id,
      sessionType: 'strength',
      notes: 'knee',
      ...slot(1),
    });
    expect(session).toMatchObject({ trainerId: trainer.id, sessionType: 'strength', notes: 'knee' });
  });

  it('books what createSessionDataSchema parsed from JSON (ISO strings)', async () => {
    const member = await addMember(t.db);
    const body = JSON.parse(JSON.stringify({ machineId: machine[3], memberId: member.id, ...slot(2) }));
    const session = await bookSession(t.db, createSessionDataSchema.parse(body));
    expect(session.scheduledStart).toEqual(slot(2).scheduledStart);
  });

  it('machine_not_found for a machine that does not exist; nothing is created', async () => {
    const member = await addMember(t.db);
    const before = await sessionCount();
    const err = await refusal(
      bookSession(t.db, { machineId: unknownId, memberId: member.id, ...slot(3) }),
      'machine_not_found',
    );
    expect(err.message).toMatch(/machine .* does not exist/);
    expect(await sessionCount()).toBe(before);
  });

  it('machine_unavailable for a machine taken out of service; nothing is created', async () => {
    const member = await addMember(t.db);
    await setMachineAvailability(t.db, machine[3], false);
    const before = await sessionCount();
    await refusal(bookSession(t.db, { machineId: machine[3], memberId: member.id, ...slot(4) }), 'machine_unavailable');
    expect(await sessionCount()).toBe(before);
  });

  it('member_not_found for an unknown member (the booking FK); invalid_input for none at all; nothing is created', async () => {
    const before = await sessionCount();
    await refusal(bookSession(t.db, { machineId: machine[1], memberId: unknownId, ...slot(5) }), 'member_not_found');
    await refusal(
      bookSession(t.db, { machineId: machine[1], memberId: null as unknown as string, ...slot(5) }),
      'invalid_input',
    );
    expect(await sessionCount()).toBe(before);
  });

  it('trainer_not_found for an unknown trainer', async () => {
    const member = await addMember(t.db);
    await refusal(
      bookSession(t.db, { machineId: machine[1], memberId: member.id, trainerId: unknownId, ...slot(6) }),
      'trainer_not_found',
    );
  });

  it('invalid_time_range for an end at or before the start, and for an invalid date', async () => {
    const member = await addMember(t.db);
    const { scheduledStart } = slot(7);
    for (const scheduledEnd of [scheduledStart, new Date(scheduledStart.getTime() - 60_000), new Date(Number.NaN)]) {
      await refusal(
        bookSession(t.db, { machineId: machine[1], memberId: member.id, scheduledStart, scheduledEnd }),
        'invalid_time_range',
      );
    }
  });

  it('keeps the driver error as cause, with the SQLSTATE where Drizzle put it', async () => {
    const member = await addMember(t.db);
    const err = await refusal(
      bookSession(t.db, { machineId: unknownId, memberId: member.id, ...slot(8) }),
      'machine_not_found',
    );
    expect(err.cause).toBeInstanceOf(DrizzleQueryError);
    expect((err.cause as DrizzleQueryError).cause).toMatchObject({ code: '23503' });
  });

  it('inside a transaction, refuses in a savepoint: the caller goes on and commits', async () => {
    const member = await addMember(t.db);
    const booked = await t.db.transaction(async (tx) => {
      await refusal(bookSession(tx, { machineId: unknownId, memberId: member.id, ...slot(9) }), 'machine_not_found');
      return bookSession(tx, { machineId: machine[1], memberId: member.id, ...slot(9) });
    });
    const [row] = await t.db.select().from(trainingSessions).where(eq(trainingSessions.id, booked.id));
    expect(row?.id).toBe(booked.id);
  });

  it('inside a transaction that rolls back, the booking goes with it', async () => {
    const member = await addMember(t.db);
    const before = await sessionCount();
    await expect(
      t.db.transaction(async (tx) => {
        await bookSession(tx, { machineId: machine[1], memberId: member.id, ...slot(10) });
        tx.rollback();
      }),
    ).rejects.toThrow(TransactionRollbackError);
    expect(await sessionCount()).toBe(before);
  });
});

describe('assignTrainer', () => {
  it('sets a trainer and takes it away again', async () => {
    const [member, trainer] = [await addMember(t.db), await addTrainer(t.db)];
    const session = await bookSession(t.db, { machineId: machine[1], memberId: member.id, ...slot(20) });
    expect((await assignTrainer(t.db, session.id, trainer.id)).trainerId).toBe(trainer.id);
    expect((await assignTrainer(t.db, session.id, null)).trainerId).toBeNull();
    const [row] = await t.db.select().from(trainingSessions).where(eq(trainingSessions.id, session.id));
    expect(row!.trainerId).toBeNull();
  });

  it('trainer_not_found for an unknown trainer; the session keeps its trainer', async () => {
    const [member, trainer] = [await addMember(t.db), await addTrainer(t.db)];
    const session = await bookSession(t.db, {
      machineId: machine[1],
      memberId: member.id,
      trainerId: trainer.id,
      ...slot(21),
    });
    await refusal(assignTrainer(t.db, session.id, unknownId), 'trainer_not_found');
    const [row] = await t.db.select().from(trainingSessions).where(eq(trainingSessions.id, session.id));
    expect(row!.trainerId).toBe(trainer.id);
  });

  it('session_not_found for an unknown session', async () => {
    const trainer = await addTrainer(t.db);
    await refusal(assignTrainer(t.db, unknownId, trainer.id), 'session_not_found');
  });
});

describe('cancelSession', () => {
  it('marks the session cancelled and keeps its booking on record', async () => {
    const member = await addMember(t.db);
    const session = await bookSession(t.db, { machineId: machine[2], memberId: member.id, ...slot(30) });
    expect((await cancelSession(t.db, session.id)).status).toBe('cancelled');
    expect((await cancelSession(t.db, session.id)).status).toBe('cancelled');
    const bookings = await t.db
      .select()
      .from(trainingSessionMembers)
      .where(eq(trainingSessionMembers.sessionId, session.id));
    expect(bookings.map((b) => b.memberId)).toEqual([member.id]);
  });

  it('session_not_found for an unknown session', async () => {
    await refusal(cancelSession(t.db, unknownId), 'session_not_found');
  });
});

describe('machines', () => {
  it('listMachines gives the three machines by number', async () => {
    const list = await listMachines(t.db);
    expect(list.map((m) => [m.machineNumber, m.id])).toEqual([
      [1, machine[1]],
      [2, machine[2]],
      [3, machine[3]],
    ]);
  });

  it('setMachineAvailability closes a machine to bookings and opens it again', async () => {
    const member = await addMember(t.db);
    expect((await setMachineAvailability(t.db, machine[2], false)).isAvailable).toBe(false);
    expect((await listMachines(t.db)).find((m) => m.id === machine[2])!.isAvailable).toBe(false);
    await refusal(
      bookSession(t.db, { machineId: machine[2], memberId: member.id, ...slot(40) }),
      'machine_unavailable',
    );
    expect((await setMachineAvailability(t.db, machine[2], true)).isAvailable).toBe(true);
    await bookSession(t.db, { machineId: machine[2], memberId: member.id, ...slot(40) });
  });

  it('machine_not_found for an unknown machine', async () => {
    await refusal(setMachineAvailability(t.db, unknownId, false), 'machine_not_found');
  });
});

describe('toBookingError: the SQLSTATE mapping on real server errors', () => {
  async function failing(p: Promise<unknown>): Promise<unknown> {
    return p.then(
      () => {
        throw new Error('expected the statement to fail');
      },
      (e: unknown) => e,
    );
  }

  it('session_full: the capacity trigger refuses a second confirmed booking, through Drizzle or raw pg', async () => {
    const [a, b] = [await addMember(t.db), await addMember(t.db)];
    const session = await bookSession(t.db, { machineId: machine[3], memberId: a.id, ...slot(50) });
    const viaDrizzle = await failing(
      t.db.insert(trainingSessionMembers).values({ sessionId: session.id, memberId: b.id }),
    );
    expect(toBookingError(viaDrizzle)).toMatchObject({ code: 'session_full', cause: viaDrizzle });
    const viaPg = await failing(
      t.pool.query(`INSERT INTO training_session_members (session_id, member_id) VALUES ($1, $2)`, [session.id, b.id]),
    );
    expect(toBookingError(viaPg)?.code).toBe('session_full');
  });

  it('session_not_found: a booking for a session that does not exist', async () => {
    const member = await addMember(t.db);
    const err = await failing(
      t.db.insert(trainingSessionMembers).values({ sessionId: unknownId, memberId: member.id }),
    );
    expect(toBookingError(err)?.code).toBe('session_not_found');
  });

  it('machine_not_found: moving a session to a machine that does not exist (the FK, not the function)', async () => {
    const member = await addMember(t.db);
    const session = await bookSession(t.db, { machineId: machine[1], memberId: member.id, ...slot(51) });
    const err = await failing(
      t.db.update(trainingSessions).set({ machineId: unknownId }).where(eq(trainingSessions.id, session.id)),
    );
    expect(toBookingError(err)?.code).toBe('machine_not_found');
  });

  it('a CHECK with the same SQLSTATE as the capacity trigger is not session_full; unknown errors stay unmapped', async () => {
    const member = await addMember(t.db);
    const session = await bookSession(t.db, { machineId: machine[1], memberId: member.id, ...slot(52) });
    const check = await failing(
      // current_participants is recounted by a trigger since 0007, so the status CHECK is the one broken here.
      t.db
        .update(trainingSessions)
        .set({ status: 'bogus' as 'scheduled' })
        .where(eq(trainingSessions.id, session.id)),
    );
    expect(check).toMatchObject({ cause: { code: '23514' } });
    expect(toBookingError(check)).toBeUndefined();
    const syntax = await failing(t.pool.query('SELEC 1'));
    expect(toBookingError(syntax)).toBeUndefined();
    expect(toBookingError(new Error('no SQLSTATE'))).toBeUndefined();
  });
});
