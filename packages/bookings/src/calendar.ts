import type { DatabaseOrTransaction, Machine, Member, SessionStatus, Trainer } from '@gym/db';
import { trainingSessions } from '@gym/db';
import { and, asc, eq, gte, lt } from 'drizzle-orm';

export interface CalendarRange {
  /** Sessions that start at or after this instant... */
  from: Date;
  /** ...and before this one. */
  to: Date;
  machineId?: string;
}

/** A person on the calendar, as the app's screens read them. */
export interface CalendarPerson {
  id: string;
  name: string;
  email: string;
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
  trainer: CalendarPerson | null;
  /** The members with a confirmed booking (at most one). */
  participants: CalendarPerson[];
}

const person = { columns: { id: true, firstName: true, lastName: true, email: true } } as const;
const toPerson = (p: Pick<Member | Trainer, 'id' | 'firstName' | 'lastName' | 'email'>): CalendarPerson => ({
  id: p.id,
  name: `${p.firstName} ${p.lastName}`,
  email: p.email,
});

/**
 * The query behind listCalendar. The range is on scheduled_start alone, so it is a range scan of
 * idx_training_sessions_machine_id (machine_id, scheduled_start) for one machine, or of
 * idx_training_sessions_scheduled_start for all, already in the order asked for.
 */
export function calendarQuery(db: DatabaseOrTransaction, range: CalendarRange) {
  return db.query.trainingSessions.findMany({
    columns: { machineId: false, trainerId: false, currentParticipants: false },
    where: and(
      gte(trainingSessions.scheduledStart, range.from),
      lt(trainingSessions.scheduledStart, range.to),
      range.machineId === undefined ? undefined : eq(trainingSessions.machineId, range.machineId),
    ),
    orderBy: asc(trainingSessions.scheduledStart),
    with: {
      machine: { columns: { id: true, machineNumber: true, name: true, isAvailable: true } },
      trainer: person,
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
 */
export async function listCalendar(db: DatabaseOrTransaction, range: CalendarRange): Promise<CalendarEntry[]> {
  const rows = await calendarQuery(db, range);
  return rows.map(({ bookings, trainer, ...session }) => ({
    ...session,
    trainer: trainer && toPerson(trainer),
    participants: bookings.map((b) => toPerson(b.member)),
  }));
}
