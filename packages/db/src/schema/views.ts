import { boolean, integer, json, pgView, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { MachineNumber } from './machines.js';
import type { SessionStatus } from './training-sessions.js';

export interface CalendarParticipant {
  member_id: string;
  name: string;
  booking_status: string;
}

/**
 * The calendar view as 0003_session_functions defines it. `.existing()` because the SQL lives in the
 * migration (drizzle-kit cannot express the JSON aggregate); this declaration only types reads of it.
 */
export const trainingSessionsCalendar = pgView('training_sessions_calendar', {
  id: uuid('id').notNull(),
  machineId: uuid('machine_id').notNull(),
  machineNumber: integer('machine_number').$type<MachineNumber>().notNull(),
  machineName: text('machine_name').notNull(),
  machineAvailable: boolean('machine_available').notNull(),
  trainerId: uuid('trainer_id'),
  trainerName: text('trainer_name').notNull(),
  scheduledStart: timestamp('scheduled_start', { withTimezone: true }).notNull(),
  scheduledEnd: timestamp('scheduled_end', { withTimezone: true }).notNull(),
  status: text('status').$type<SessionStatus>(),
  currentParticipants: integer('current_participants').notNull(),
  sessionType: text('session_type'),
  notes: text('notes'),
  participants: json('participants').$type<CalendarParticipant[]>().notNull(),
}).existing();
