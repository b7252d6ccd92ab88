import type { DatabaseOrTransaction, Machine, Member, SessionStatus, Trainer } from '@gym/db';
import { calendarRangeSchema, trainers, trainingSessions } from '@gym/db';
import { and, asc, eq, gte, inArray, lt } from 'drizzle-orm';
import { parseInput } from './errors.js';

export interface CalendarRange {
  /** Sessions that start at or after this instant (a Date, or an ISO-8601 string with a zone)... */
  from: Date | string;
  /** ...and before this one. */
  to: Date | string;
  machineId?: string;
}

/** A member on the calendar, as the app's screens read them. */
export interface CalendarPerson {
  id: string;
  name: string;
  email: string;
}

/** A trainer on the calendar: their name (their email and phone are for admins and themselves, 0009). */
export interface CalendarTrainer {
  id: string;
  name: string;
}

export interface CalendarEntry {
  id: string;
  scheduledStart: Date;
  scheduledEnd: Date;
  status: SessionStatus | null;
  sessionType: string | null;
  notes: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  machine: Pick<Machine, 'id' | 'machineNumber' | 'name' | 'isAvailable'>;
  /** null: no trainer assigned yet. */
  trainer: CalendarTrainer | null;
  /** The members with a confirmed booking (at most one). */
  participants: CalendarPerson[];
}

const person = { columns: { id: true, firstName: true, lastName: true, email: true } } as const;
const toPerson = (p: Pick<Member, 'id' | 'firstName' | 'lastName' | 'email'>): CalendarPerson => ({
  id: p.id,
  name: `${p.firstName} ${p.lastName}`,
  email: p.email,
});
const toTrainer = (t: Pick<Trainer, 'id' | 'firstName' | 'lastName'>): CalendarTrainer => ({
  id: t.id,
  name: `${t.firstName} ${t.lastName}`,
});

/**
 * The query behind listCalendar. The range is on scheduled_start alone, so it is a range scan of
 * idx_training_sessions_machine_id (machine_id, scheduled_start) for one machine, or of
 * idx_training_sessions_scheduled_start for all, already in the order asked for.
 * The trainer is not one of its relations: Drizzle's relational query reads a relation with `select *`,
 * and a member may not read a trainer's email or phone (column privileges, 0009), so the whole query would
 * fail with 42501 on a member's behalf. listCalendar reads the trainers' names with a query of their own.
 */
export function calendarQuery(db: DatabaseOrTransaction, range: { from: Date; to: Date; machineId?: string }) {
  return db.query.trainingSessions.findMany({
    columns: { machineId: false, currentParticipants: false },
    where: and(
      gte(trainingSessions.scheduledStart, range.from),
      lt(trainingSessions.scheduledStart, range.to),
      range.machineId === undefined ? undefined : eq(trainingSessions.machineId, range.machineId),
    ),
    orderBy: asc(trainingSessions.scheduledStart),
    with: {
      machine: { columns: { id: true, machineNumber: true, name: true, isAvailable: true } },
      bookings: {
        columns: {},
        where: (b, { eq }) => eq(b.bookingStatus, 'confirmed'),
        with: { member: person },
      },
    },
  });
}

/**
 * The sessions that start in [from, to), optionally on one machine, ordered by start, with their machine,
 * trainer and confirmed participants. Cancelled and completed sessions are included (with their status).
 * Throws BookingError invalid_input for a range that is not one (`to` not after `from`, a bad date or id).
 */
export async function listCalendar(db: DatabaseOrTransaction, range: CalendarRange): Promise<CalendarEntry[]> {
  const rows = await calendarQuery(db, parseInput(calendarRangeSchema, range, 'calendar range'));
  const trainerIds = [...new Set(rows.flatMap((r) => (r.trainerId === null ? [] : [r.trainerId])))];
  const names =
    trainerIds.length === 0
      ? []
      : await db
          .select({ id: trainers.id, firstName: trainers.firstName, lastName: trainers.lastName })
          .from(trainers)
          .where(inArray(trainers.id, trainerIds));
  const trainerById = new Map(names.map((t) => [t.id, toTrainer(t)]));
  return rows.map(({ bookings, trainerId, ...session }) => ({
    ...session,
    trainer: (trainerId !== null && trainerById.get(trainerId)) || null,
    participants: bookings.map((b) => toPerson(b.member)),
  }));
}
