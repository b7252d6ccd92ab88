import { randomUUID } from 'node:crypto';
import { type Database, machines, members, trainers } from '@gym/db';
import { expect } from 'vitest';
import { BookingError, type BookingErrorCode } from '../src/index.js';

export const unknownId = '00000000-0000-4000-8000-000000000000';

export async function machineIds(db: Database): Promise<Record<1 | 2 | 3, string>> {
  const rows = await db.select().from(machines);
  return Object.fromEntries(rows.map((m) => [m.machineNumber, m.id])) as Record<1 | 2 | 3, string>;
}

export async function addMember(db: Database, firstName = 'Ada', lastName = 'Lovelace') {
  const [m] = await db
    .insert(members)
    .values({ firstName, lastName, email: `${randomUUID()}@members.test` })
    .returning();
  return m!;
}

export async function addTrainer(db: Database, firstName = 'Tom', lastName = 'Trainer') {
  const [t] = await db
    .insert(trainers)
    .values({ firstName, lastName, email: `${randomUUID()}@trainers.test` })
    .returning();
  return t!;
}

/** A one-hour slot starting `hours` after 2026-12-01T08:00Z: every test books its own, apart from the others. */
export function slot(hours: number, minutes = 60) {
  const scheduledStart = new Date(Date.UTC(2026, 11, 1, 8) + hours * 3_600_000);
  return { scheduledStart, scheduledEnd: new Date(scheduledStart.getTime() + minutes * 60_000) };
}

/** The BookingError `p` rejects with; fails the test if it resolves or rejects with anything else. */
export async function refusal(p: Promise<unknown>, code: BookingErrorCode): Promise<BookingError> {
  const err = await p.then(
    (v) => {
      throw new Error(`expected BookingError ${code}, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BookingError);
  expect((err as BookingError).code).toBe(code);
  return err as BookingError;
}
