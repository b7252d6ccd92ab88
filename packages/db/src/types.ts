import type { z } from 'zod';
import type { bookingRules } from './schema/booking-rules.js';
import type { machines } from './schema/machines.js';
import type { members } from './schema/members.js';
import type { trainers } from './schema/trainers.js';
import type { trainingSessionMembers } from './schema/training-session-members.js';
import type { trainingSessions } from './schema/training-sessions.js';
import type { trainingSessionsCalendar } from './schema/views.js';
import type { createSessionDataSchema, trainingSessionUpdateSchema } from './validation.js';

export type Machine = typeof machines.$inferSelect;
export type NewMachine = typeof machines.$inferInsert;
export type Trainer = typeof trainers.$inferSelect;
export type NewTrainer = typeof trainers.$inferInsert;
export type Member = typeof members.$inferSelect;
export type NewMember = typeof members.$inferInsert;
export type TrainingSession = typeof trainingSessions.$inferSelect;
export type NewTrainingSession = typeof trainingSessions.$inferInsert;
export type TrainingSessionMember = typeof trainingSessionMembers.$inferSelect;
export type NewTrainingSessionMember = typeof trainingSessionMembers.$inferInsert;
export type CalendarSession = typeof trainingSessionsCalendar.$inferSelect;
/** The studio's booking limits (one row, booking_rules), which an admin may change. */
export type BookingRules = typeof bookingRules.$inferSelect;

/** Arguments of create_training_session_with_members (0003): one member, an optional trainer (US-004). */
export interface CreateSessionData {
  machineId: string;
  memberId: string;
  scheduledStart: Date;
  scheduledEnd: Date;
  trainerId?: string | null;
  sessionType?: string | null;
  notes?: string | null;
}

/** Filters the app's session lists take (US-004): by machine first of all. */
export interface SessionFilters {
  machineId?: string;
  trainerId?: string | null;
  status?: TrainingSession['status'];
  from?: Date;
  to?: Date;
}

/** What the booking API accepts (createSessionDataSchema's input): ISO-8601 strings or Dates. */
export type CreateSessionDataInput = z.input<typeof createSessionDataSchema>;
/** A parsed change to a session (trainingSessionUpdateSchema): every field optional. */
export type TrainingSessionUpdate = z.output<typeof trainingSessionUpdateSchema>;
