import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { machineNumbers, machines } from './schema/machines.js';
import { members } from './schema/members.js';
import { trainers } from './schema/trainers.js';
import { trainingSessionMembers } from './schema/training-session-members.js';
import { trainingSessions } from './schema/training-sessions.js';

const endsAfterStart = (s: { scheduledStart: Date; scheduledEnd: Date }) => s.scheduledEnd > s.scheduledStart;
const endsAfterStartIssue = { message: 'scheduledEnd must be after scheduledStart', path: ['scheduledEnd'] };

export const machineSelectSchema = createSelectSchema(machines, {
  machineNumber: z.union(
    machineNumbers.map((n) => z.literal(n)) as [z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<3>],
  ),
});
export const machineInsertSchema = createInsertSchema(machines, {
  machineNumber: z.union(
    machineNumbers.map((n) => z.literal(n)) as [z.ZodLiteral<1>, z.ZodLiteral<2>, z.ZodLiteral<3>],
  ),
  name: (s) => s.min(1),
});

export const trainerInsertSchema = createInsertSchema(trainers, { email: () => z.email() });
export const memberInsertSchema = createInsertSchema(members, { email: () => z.email() });

export const trainingSessionSelectSchema = createSelectSchema(trainingSessions);
export const trainingSessionInsertSchema = createInsertSchema(trainingSessions, {
  currentParticipants: (s) => s.int().min(0).max(1),
}).refine(endsAfterStart, endsAfterStartIssue);

export const trainingSessionMemberInsertSchema = createInsertSchema(trainingSessionMembers);

/** The booking function's input (US-004 CreateSessionData): one member, an optional trainer. */
export const createSessionDataSchema = z
  .object({
    machineId: z.uuid(),
    memberId: z.uuid(),
    scheduledStart: z.date(),
    scheduledEnd: z.date(),
    trainerId: z.uuid().nullish(),
    sessionType: z.string().nullish(),
    notes: z.string().nullish(),
  })
  .refine(endsAfterStart, endsAfterStartIssue);
