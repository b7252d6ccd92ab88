import { asCaller, trainers, trainingSessionMembers } from '@gym/db';
import { useTestDatabase } from '@gym/testing';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { calendarQuery } from '../src/calendar.js';
import { assignTrainer, bookSession, cancelSession, listCalendar } from '../src/index.js';
import { addMember, addSignedInMember, addTrainer, ahead, machineIds, slot } from './fixtures.js';

const t = useTestDatabase();
let machine: Record<1 | 2 | 3, string>;
const day = { from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-02T00:00:00Z') };

beforeAll(async () => {
  machine = await machineIds(t.db);
});

describe('listCalendar', () => {
  it('gives each session with its machine, trainer and confirmed participants, ordered by start', async () => {
    const [ada, bo] = [await addMember(t.db, 'Ada', 'Lovelace'), await addMember(t.db, 'Bo', 'Kim')];
    const tom = await addTrainer(t.db, 'Tom', 'Trainer');
    // Booked out of order, on two machines.
    const late = await bookSession(t.db, { machineId: machine[1], memberId: bo.id, ...slot(3) });
    const early = await bookSession(t.db, { machineId: machine[2], memberId: ada.id, trainerId: tom.id, ...slot(1) });
    const cancelled = await bookSession(t.db, { machineId: machine[1], memberId: ada.id, ...slot(2) });
    await cancelSession(t.db, cancelled.id);
    // A booking that is no longer confirmed is not a participant.
    await t.db
      .update(trainingSessionMembers)
      .set({ bookingStatus: 'cancelled' })
      .where(and(eq(trainingSessionMembers.sessionId, cancelled.id), eq(trainingSessionMembers.memberId, ada.id)));

    const entries = await listCalendar(t.db, day);
    expect(entries.map((e) => e.id)).toEqual([early.id, cancelled.id, late.id]);
    expect(entries[0]).toEqual({
      id: early.id,
      ...slot(1),
      status: 'scheduled',
      sessionType: null,
      notes: null,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
      machine: { id: machine[2], machineNumber: 2, name: 'Machine 2', isAvailable: true },
      trainer: { id: tom.id, name: 'Tom Trainer' },
      participants: [{ id: ada.id, name: 'Ada Lovelace', email: ada.email }],
    });
    expect(entries[1]).toMatchObject({ status: 'cancelled', trainer: null, participants: [] });
    expect(entries[2]).toMatchObject({ trainer: null, participants: [{ id: bo.id, name: 'Bo Kim' }] });
    // The origin app's check: is this member on that session?
    expect(entries.filter((e) => e.participants.some((p) => p.id === ada.id)).map((e) => e.id)).toEqual([early.id]);

    await assignTrainer(t.db, late.id, tom.id);
    expect((await listCalendar(t.db, day)).find((e) => e.id === late.id)!.trainer?.id).toBe(tom.id);
  });

  it('takes the sessions starting in [from, to), optionally on one machine', async () => {
    const member = await addMember(t.db);
    const next = { from: new Date('2026-12-03T00:00:00Z'), to: new Date('2026-12-03T10:00:00Z') };
    const at = (iso: string) => ({
      scheduledStart: new Date(iso),
      scheduledEnd: new Date(Date.parse(iso) + 1_800_000),
    });
    const atFrom = await bookSession(t.db, {
      machineId: machine[1],
      memberId: member.id,
      ...at('2026-12-03T00:00:00Z'),
    });
    const other = await bookSession(t.db, {
      machineId: machine[3],
      memberId: member.id,
      ...at('2026-12-03T05:00:00Z'),
    });
    await bookSession(t.db, { machineId: machine[1], memberId: member.id, ...at('2026-12-03T10:00:00Z') }); // at `to`
    await bookSession(t.db, { machineId: machine[2], memberId: member.id, ...at('2026-12-02T23:45:00Z') }); // before (machine 1 is taken from 00:00)
    expect((await listCalendar(t.db, next)).map((e) => e.id)).toEqual([atFrom.id, other.id]);
    expect((await listCalendar(t.db, { ...next, machineId: machine[3] })).map((e) => e.id)).toEqual([other.id]);
    expect(await listCalendar(t.db, { ...next, machineId: machine[2] })).toEqual([]);
  });
});

describe("listCalendar on a member's behalf", () => {
  it("through asCaller: their own sessions, with the trainer's name and no contact (members may not read a trainer's email)", async () => {
    const { member, claims } = await addSignedInMember(t.db);
    const other = await addMember(t.db);
    const tom = await addTrainer(t.db, 'Tom', 'Trainer');
    const mine = await bookSession(t.db, {
      machineId: machine[1],
      memberId: member.id,
      trainerId: tom.id,
      ...ahead(5),
    });
    await bookSession(t.db, { machineId: machine[2], memberId: other.id, trainerId: tom.id, ...ahead(5) });
    const window = { from: ahead(0).scheduledStart, to: ahead(48).scheduledStart };
    const entries = await asCaller(t.db, claims, (tx) => listCalendar(tx, window));
    expect(entries.map((e) => e.id)).toEqual([mine.id]);
    expect(entries[0]!.trainer).toEqual({ id: tom.id, name: 'Tom Trainer' });
    expect(entries[0]!.participants).toEqual([{ id: member.id, name: 'Sam Signed', email: member.email }]);
    // Which is why the calendar asks for names only.
    const contact = await asCaller(t.db, claims, (tx) => tx.select({ email: trainers.email }).from(trainers)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(contact).toMatchObject({ cause: { code: '42501' } });
  });
});

describe('listCalendar uses the index', () => {
  async function plan(range: Parameters<typeof calendarQuery>[1]): Promise<string> {
    const { sql, params } = calendarQuery(t.db, range).toSQL();
    const { rows } = await t.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  beforeAll(async () => {
    // Two years of hourly sessions on the three machines, so the planner has a table worth an index.
    await t.pool.query(`
      INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end, status)
      SELECT m.id, g, g + interval '45 minutes', 'completed'
        FROM machines m, generate_series('2025-01-01'::timestamptz, '2026-11-30', interval '1 hour') g`);
    await t.pool.query('ANALYZE training_sessions');
  });

  // Either index gives the rows in start order; which one is cheaper depends on how the heap is laid out. The
  // machine index (machine_id, scheduled_start) counts only when its condition bounds scheduled_start too.
  it("one machine's week: an index range scan on scheduled_start (the machine index or the start index), no sort", async () => {
    const p = await plan({
      from: new Date('2026-03-02T00:00:00Z'),
      to: new Date('2026-03-09T00:00:00Z'),
      machineId: machine[2],
    });
    expect(p).toMatch(
      /Index Scan using idx_training_sessions_(machine_id|scheduled_start) on training_sessions.*\n\s+Index Cond: \(.*\(scheduled_start >= .*\(scheduled_start < /,
    );
    expect(p).not.toMatch(/Sort/);
  });

  it("every machine's week: a range scan of scheduled_start, no sort", async () => {
    const p = await plan({ from: new Date('2026-03-02T00:00:00Z'), to: new Date('2026-03-09T00:00:00Z') });
    expect(p).toMatch(
      /Index Scan using idx_training_sessions_scheduled_start on training_sessions.*\n\s+Index Cond: \(\(scheduled_start >= .*\(scheduled_start < /,
    );
    expect(p).not.toMatch(/Sort/);
  });
});
