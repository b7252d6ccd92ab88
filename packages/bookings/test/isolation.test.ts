import { trainingSessions } from '@gym/db';
import { useTestDatabase } from '@gym/testing';
import { and, eq, gte, lt } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { BookingError, findPgError } from '../src/index.js';
import { addMember, ahead, machineIds } from './fixtures.js';
import { type IsolationLevel, type RaceOutcome, race } from './race.js';

// Issue 16, item 6: no double booking at any isolation level, ten clients each on its own connection; and
// issue 17, item 3: each race provably races (the nine wait on the holder's lock before it commits).
const t = useTestDatabase();
let machine: Record<1 | 2 | 3, string>;

beforeAll(async () => {
  machine = await machineIds(t.db);
});

const levels: IsolationLevel[] = ['read committed', 'repeatable read', 'serializable'];

/** Ten slots from `hours` ahead: 10:00-11:00, 10:05-11:05, ... 10:45-11:45 in effect, every two overlapping. */
function overlapping(hours: number) {
  const start = ahead(hours).scheduledStart.getTime();
  return Array.from({ length: 10 }, (_, i) => ({
    scheduledStart: new Date(start + i * 5 * 60_000),
    scheduledEnd: new Date(start + (60 + i * 5) * 60_000),
  }));
}

async function sessionsBetween(machineId: string, from: Date, to: Date) {
  return t.db
    .select()
    .from(trainingSessions)
    .where(
      and(
        eq(trainingSessions.machineId, machineId),
        gte(trainingSessions.scheduledStart, from),
        lt(trainingSessions.scheduledStart, to),
      ),
    );
}

async function runRace(level: IsolationLevel, competitors: 'caller' | 'own', machineId: string, hours: number) {
  const members = await Promise.all(Array.from({ length: 10 }, () => addMember(t.db)));
  const slots = overlapping(hours);
  const outcome = await race({
    url: t.url,
    observer: t.db,
    level,
    competitors,
    machineId,
    memberIds: members.map((m) => m.id),
    slots,
  });
  const stored = await sessionsBetween(machineId, slots[0]!.scheduledStart, slots[9]!.scheduledEnd);
  return { outcome, stored };
}

function expectHolderAlone(outcome: RaceOutcome, stored: { id: string }[]) {
  // Exactly one booked: the holder's, and the database holds only it.
  expect(outcome.competitors.filter((r) => r.status === 'fulfilled').length, 'competitors that booked').toBe(0);
  expect(outcome.holder.status).toBe('fulfilled');
  expect(stored.map((s) => s.id)).toEqual([(outcome.holder as PromiseFulfilledResult<{ id: string }>).value.id]);
  // The race raced: all nine were waiting on the holder's lock when it committed.
  expect(outcome.waitedOnLock, 'competitors seen waiting on a lock at once').toBe(9);
}

const reasons = (outcome: RaceOutcome) =>
  outcome.competitors.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : undefined));

describe.each(levels.map((level, i) => ({ level, i })))(
  'ten clients at $level, each with its snapshot taken before the first booking commits',
  ({ level, i }) => {
    const expected = level === 'read committed' ? 'slot_taken' : 'a serialization failure (40001)';
    it(`in their own transactions: one booked, nine ${expected}`, async () => {
      const { outcome, stored } = await runRace(level, 'caller', machine[3], 24 * (i + 1));
      expectHolderAlone(outcome, stored);
      for (const reason of reasons(outcome)) {
        if (level === 'read committed') {
          // The second booking waits for the first, then sees it.
          expect(reason).toBeInstanceOf(BookingError);
          expect((reason as BookingError).code).toBe('slot_taken');
        } else {
          // Its snapshot predates the first booking's commit: the database refuses to decide on it, and the
          // caller's transaction is the one to retry (bookSession rethrows inside a caller's transaction).
          expect(reason).not.toBeInstanceOf(BookingError);
          expect(findPgError(reason)?.code).toBe('40001');
        }
      }
    });

    const retried = level === 'read committed' ? 'in one transaction each' : 'each after retrying a 40001 once';
    it(`through bookSession owning its transaction: one booked, nine slot_taken ${retried}`, async () => {
      const { outcome, stored } = await runRace(level, 'own', machine[2], 24 * (i + 1) + 6);
      expectHolderAlone(outcome, stored);
      for (const reason of reasons(outcome)) {
        expect(reason).toBeInstanceOf(BookingError);
        expect((reason as BookingError).code).toBe('slot_taken');
      }
      // At READ COMMITTED one transaction each; above it, the first ended in 40001 and the second saw the
      // holder's booking.
      expect(outcome.attempts).toEqual(Array(9).fill(level === 'read committed' ? 1 : 2));
    });
  },
);
