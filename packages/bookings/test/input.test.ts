import { trainingSessions } from '@gym/db';
import { useTestDatabase } from '@gym/testing';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  assignTrainer,
  type BookingErrorCode,
  bookSession,
  cancelSession,
  listCalendar,
  setMachineAvailability,
} from '../src/index.js';
import { addMember, addTrainer, ahead, machineIds, refusal, unknownId } from './fixtures.js';

// Issue 16, item 5: the package parses its input with @gym/db's schemas at runtime. A JSON caller's ISO
// strings are what the schema accepts; anything malformed is a BookingError (invalid_input, or
// invalid_time_range for a time that is no time), never a TypeError from deeper down, and never reaches
// the database.
const t = useTestDatabase();
let machine: Record<1 | 2 | 3, string>;

beforeAll(async () => {
  machine = await machineIds(t.db);
});

async function sessionCount() {
  return (await t.db.select({ n: sql<number>`count(*)::int` }).from(trainingSessions))[0]!.n;
}

/** An ISO-8601 local date-time without a zone, `hours` ahead: the server would read it in its own zone. */
const withoutZone = (hours: number) => ahead(hours).scheduledStart.toISOString().slice(0, 19);

// biome-ignore lint/suspicious/noExplicitAny: the point is input that the types would not let through
type Untyped = any;

describe('bookSession', () => {
  it('books what a JSON caller sends as is: ISO strings, with Z or with an offset', async () => {
    const member = await addMember(t.db);
    const body = JSON.parse(JSON.stringify({ machineId: machine[1], memberId: member.id, ...ahead(1) }));
    expect(typeof body.scheduledStart).toBe('string');
    const session = await bookSession(t.db, body);
    expect(session).toMatchObject(ahead(1));
    // The same instant written with an offset of +01:00.
    const { scheduledStart, scheduledEnd } = ahead(3);
    const plusOne = (d: Date) => `${new Date(d.getTime() + 3_600_000).toISOString().slice(0, 19)}+01:00`;
    const other = await bookSession(t.db, {
      machineId: machine[1],
      memberId: member.id,
      scheduledStart: plusOne(scheduledStart),
      scheduledEnd: plusOne(scheduledEnd),
    });
    expect(other).toMatchObject({ scheduledStart, scheduledEnd });
  });

  const good = () => ({ machineId: machine[2], memberId: unknownId, ...ahead(5) });
  const cases: [string, BookingErrorCode, () => unknown][] = [
    ['a memberId that is not a uuid', 'invalid_input', () => ({ ...good(), memberId: 'member-1' })],
    ['a machineId that is not a uuid', 'invalid_input', () => ({ ...good(), machineId: 1 })],
    ['a missing machineId', 'invalid_input', () => ({ ...good(), machineId: undefined })],
    ['a trainerId that is not a uuid', 'invalid_input', () => ({ ...good(), trainerId: 'tom' })],
    ['notes that are not text', 'invalid_input', () => ({ ...good(), notes: { text: 'knee' } })],
    ['no input at all', 'invalid_input', () => undefined],
    ['null', 'invalid_input', () => null],
    ['a string', 'invalid_input', () => 'book me'],
    ['a date string without a zone', 'invalid_time_range', () => ({ ...good(), scheduledStart: withoutZone(5) })],
    ['an object for a date', 'invalid_time_range', () => ({ ...good(), scheduledStart: {} })],
    ['a number for a date', 'invalid_time_range', () => ({ ...good(), scheduledEnd: Date.now() })],
    ['a word for a date', 'invalid_time_range', () => ({ ...good(), scheduledStart: 'tomorrow' })],
    ['a missing end', 'invalid_time_range', () => ({ ...good(), scheduledEnd: undefined })],
    [
      'an end before the start, as strings',
      'invalid_time_range',
      () => ({
        ...good(),
        scheduledStart: ahead(6).scheduledEnd.toISOString(),
        scheduledEnd: ahead(6).scheduledStart.toISOString(),
      }),
    ],
  ];
  it.each(cases)('%s: BookingError %s, and nothing reaches the database', async (_name, code, input) => {
    const before = await sessionCount();
    const err = await refusal(bookSession(t.db, input() as Untyped), code);
    expect(err.message).toMatch(/^invalid booking: /);
    expect(await sessionCount()).toBe(before);
  });
});

describe('listCalendar', () => {
  it('takes ISO strings for the range', async () => {
    const member = await addMember(t.db);
    const session = await bookSession(t.db, { machineId: machine[3], memberId: member.id, ...ahead(30) });
    const entries = await listCalendar(t.db, {
      from: ahead(30).scheduledStart.toISOString(),
      to: ahead(31).scheduledStart.toISOString(),
      machineId: machine[3],
    });
    expect(entries.map((e) => e.id)).toEqual([session.id]);
  });

  const from = () => ahead(0).scheduledStart.toISOString();
  const to = () => ahead(24).scheduledStart.toISOString();
  it.each([
    ['a machineId that is not a uuid', 'invalid_input', () => ({ from: from(), to: to(), machineId: 'machine-3' })],
    ['null', 'invalid_input', () => null],
    ['a from without a zone', 'invalid_time_range', () => ({ from: withoutZone(0), to: to() })],
    ['an object for a date', 'invalid_time_range', () => ({ from: {}, to: to() })],
    ['a missing to', 'invalid_time_range', () => ({ from: from() })],
    ['a to before from', 'invalid_time_range', () => ({ from: to(), to: from() })],
  ] as [string, BookingErrorCode, () => unknown][])('%s: BookingError %s', async (_name, code, range) => {
    await refusal(listCalendar(t.db, range() as Untyped), code);
  });
});

describe('assignTrainer, cancelSession, setMachineAvailability', () => {
  it('invalid_input for ids that are not uuids, and values of the wrong type; nothing changes', async () => {
    const member = await addMember(t.db);
    const trainer = await addTrainer(t.db);
    const session = await bookSession(t.db, { machineId: machine[1], memberId: member.id, ...ahead(40) });
    await refusal(assignTrainer(t.db, 'session-1', trainer.id), 'invalid_input');
    await refusal(assignTrainer(t.db, session.id, 'tom'), 'invalid_input');
    await refusal(assignTrainer(t.db, session.id, 42 as Untyped), 'invalid_input');
    await refusal(assignTrainer(t.db, undefined as Untyped, trainer.id), 'invalid_input');
    await refusal(cancelSession(t.db, 'session-1'), 'invalid_input');
    await refusal(cancelSession(t.db, { id: session.id } as Untyped), 'invalid_input');
    await refusal(cancelSession(t.db, undefined as Untyped), 'invalid_input');
    await refusal(setMachineAvailability(t.db, 'machine-1', false), 'invalid_input');
    await refusal(setMachineAvailability(t.db, machine[1], 'no' as Untyped), 'invalid_input');
    await refusal(setMachineAvailability(t.db, null as Untyped, true), 'invalid_input');
    const [row] = await t.db.select().from(trainingSessions).where(sql`${trainingSessions.id} = ${session.id}`);
    expect(row).toMatchObject({ trainerId: null, status: 'scheduled' });
    const machines = await t.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM machines WHERE is_available`);
    expect(machines.rows).toEqual([{ n: 3 }]);
  });
});
