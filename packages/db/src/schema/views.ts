import { bigint, boolean, integer, json, pgView, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { MachineNumber } from './machines.js';
import type { SessionStatus } from './training-sessions.js';

/** A member with a confirmed booking, as the app's screens read them. */
export interface CalendarParticipant {
  id: string;
  name: string;
  email: string;
}

/**
 * The calendar view as 0008_training_sessions_calendar leaves it: 0004's columns, participants as the
 * confirmed bookings' `{id, name, email}`, then created_at and updated_at. `.existing()` because the SQL
 * lives in the migrations (drizzle-kit cannot express the JSON aggregate); this declaration only types reads.
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
  createdAt: timestamp('created_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }),
}).existing();

/**
 * Sessions that hold a machine (scheduled or in progress) while an earlier one (by start, then id) holds
 * it for part of the same slot: the legacy double bookings that 0007_training_sessions_integrity found no
 * free machine for. An admin moves or cancels them; new bookings may not overlap them either.
 */
export const sessionConflicts = pgView('session_conflicts', {
  sessionId: uuid('session_id').notNull(),
  machineId: uuid('machine_id').notNull(),
  scheduledStart: timestamp('scheduled_start', { withTimezone: true }).notNull(),
  scheduledEnd: timestamp('scheduled_end', { withTimezone: true }).notNull(),
  status: text('status').$type<SessionStatus>(),
  trainerId: uuid('trainer_id'),
}).existing();

/**
 * The trainer's history screen, as 0004_training_sessions_contract leaves it. Declared (`.existing()`) so that
 * `drizzle-kit push` knows the migrations own it and does not drop it.
 */
export const trainerSessionHistory = pgView('trainer_session_history', {
  trainerId: uuid('trainer_id').notNull(),
  trainerName: text('trainer_name').notNull(),
  sessionId: uuid('session_id').notNull(),
  machineId: uuid('machine_id').notNull(),
  scheduledStart: timestamp('scheduled_start', { withTimezone: true }).notNull(),
  scheduledEnd: timestamp('scheduled_end', { withTimezone: true }).notNull(),
  status: text('status').$type<SessionStatus>(),
  sessionType: text('session_type'),
  participantCount: bigint('participant_count', { mode: 'number' }).notNull(),
}).existing();

/** The member's history screen, as 0004_training_sessions_contract leaves it (declared for the same reason). */
export const memberSessionHistory = pgView('member_session_history', {
  memberId: uuid('member_id').notNull(),
  sessionId: uuid('session_id').notNull(),
  bookingStatus: text('booking_status').notNull(),
  bookedAt: timestamp('booked_at', { withTimezone: true }).notNull(),
  machineId: uuid('machine_id').notNull(),
  scheduledStart: timestamp('scheduled_start', { withTimezone: true }).notNull(),
  scheduledEnd: timestamp('scheduled_end', { withTimezone: true }).notNull(),
  sessionStatus: text('session_status').$type<SessionStatus>(),
  sessionType: text('session_type'),
  trainerId: uuid('trainer_id'),
  trainerName: text('trainer_name').notNull(),
}).existing();
