import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { machineNumbers, machines } from './schema/machines.js';
import { members } from './schema/members.js';
import { trainers } from './schema/trainers.js';
import { trainingSessionMembers } from './schema/training-session-members.js';
import { sessionStatuses, trainingSessions } from './schema/training-sessions.js';

// Two layers. The *BaseSchema objects are plain drizzle-zod schemas with column-level rules only, so
// .pick/.omit/.partial/.extend work on them (zod 4 throws on those once an object carries a refinement).
// The named schemas below them add the cross-field rules, built from the bases.

/**
 * A point in time from JSON or from code: a Date, or an ISO-8601 date-time string with a zone (`Z` or
 * `+01:00`). A string without a zone is refused: the server would read it in its own time zone.
 */
export const dateTimeInput = z.union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))]);

const machineNumber = z.union(
  machineNumbers.map((n) => z.literal(n)) as [z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<3>],
);

function endsAfterStart<S extends z.ZodType<{ scheduledStart?: Date | undefined; scheduledEnd?: Date | undefined }>>(
  schema: S,
): S {
  return schema.refine((s) => !s.scheduledStart || !s.scheduledEnd || s.scheduledEnd > s.scheduledStart, {
    message: 'scheduledEnd must be after scheduledStart',
    path: ['scheduledEnd'],
  });
}

export const machineSelectSchema = createSelectSchema(machines, { machineNumber });
export const machineInsertSchema = createInsertSchema(machines, { machineNumber, name: (s) => s.min(1) });

export const trainerInsertSchema = createInsertSchema(trainers, { email: () => z.email() });
export const memberInsertSchema = createInsertSchema(members, { email: () => z.email() });

export const trainingSessionSelectSchema = createSelectSchema(trainingSessions);

/** Every column of a new session with its own rules (one participant at most), no cross-field rule. */
export const trainingSessionInsertBaseSchema = createInsertSchema(trainingSessions, {
  scheduledStart: dateTimeInput,
  scheduledEnd: dateTimeInput,
  createdAt: dateTimeInput.optional(),
  updatedAt: dateTimeInput.optional(),
  currentParticipants: (s) => s.int().min(0).max(1),
});
/** A new session: the base, and an end after the start. */
export const trainingSessionInsertSchema = endsAfterStart(trainingSessionInsertBaseSchema);
/**
 * A change to a session: any subset of the columns but its id and timestamps; an end after the start when
 * both are given (against the stored row, the database function and its CHECK decide).
 */
export const trainingSessionUpdateSchema = endsAfterStart(
  trainingSessionInsertBaseSchema.omit({ id: true, createdAt: true, updatedAt: true }).partial(),
);

export const trainingSessionMemberInsertSchema = createInsertSchema(trainingSessionMembers);

/** The booking function's input (US-004 CreateSessionData), plain: one member, an optional trainer. */
export const createSessionDataBaseSchema = trainingSessionInsertBaseSchema
  .pick({ machineId: true, scheduledStart: true, scheduledEnd: true, sessionType: true, notes: true })
  .extend({ memberId: z.uuid(), trainerId: z.uuid().nullish() });
/** The booking API's input, from JSON or code: the base, and an end after the start. */
export const createSessionDataSchema = endsAfterStart(createSessionDataBaseSchema);

/** Session list filters (US-004 SessionFilters), plain: by machine first of all. */
export const sessionFiltersBaseSchema = z.object({
  machineId: z.uuid().optional(),
  trainerId: z.uuid().nullable().optional(),
  status: z.enum(sessionStatuses).optional(),
  from: dateTimeInput.optional(),
  to: dateTimeInput.optional(),
});
const toAfterFrom = { message: 'to must be after from', path: ['to'] };
/** Session list filters from a query string or JSON: `to` after `from` when both are given. */
export const sessionFiltersSchema = sessionFiltersBaseSchema.refine(
  (f) => !f.from || !f.to || f.to > f.from,
  toAfterFrom,
);
/** A calendar's window (the sessions starting in [from, to)), optionally one machine's. */
export const calendarRangeSchema = sessionFiltersBaseSchema
  .pick({ machineId: true })
  .extend({ from: dateTimeInput, to: dateTimeInput })
  .refine((r) => r.to > r.from, toAfterFrom);

/** A row's id as an API receives it (a path segment, a JSON field): a uuid. */
export const idSchema = z.uuid();
/** Giving a session a trainer, or taking it away (null). */
export const trainerAssignmentSchema = z.object({ sessionId: z.uuid(), trainerId: z.uuid().nullable() });
/** Opening a machine for booking, or closing it. */
export const machineAvailabilitySchema = z.object({ machineId: z.uuid(), isAvailable: z.boolean() });
