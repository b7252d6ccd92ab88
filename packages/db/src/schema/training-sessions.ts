import { sql } from 'drizzle-orm';
import { check, index, integer, pgPolicy, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { authenticatedRole, currentTrainerId, isAdmin } from './auth.js';
import { machines } from './machines.js';
import { trainers } from './trainers.js';

export const sessionStatuses = ['scheduled', 'in_progress', 'completed', 'cancelled'] as const;
export type SessionStatus = (typeof sessionStatuses)[number];

/**
 * The name the no-overlap trigger (0007_training_sessions_integrity) reports with SQLSTATE 23P01, as an
 * exclusion constraint would: a session overlapping a scheduled or in-progress one on the same machine.
 */
export const sessionNoOverlapConstraint = 'training_sessions_no_overlap';

// The seed's After Migration block, column for column, nullability included (status, current_participants
// and the timestamps are nullable there, so they are here).
export const trainingSessions = pgTable(
  'training_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    machineId: uuid('machine_id')
      .notNull()
      .references(() => machines.id, { onDelete: 'restrict' }),
    // Optional until the session is completed (US-002 AC-2).
    trainerId: uuid('trainer_id').references(() => trainers.id),
    scheduledStart: timestamp('scheduled_start', { withTimezone: true }).notNull(),
    scheduledEnd: timestamp('scheduled_end', { withTimezone: true }).notNull(),
    status: text('status', { enum: sessionStatuses }).default('scheduled'),
    currentParticipants: integer('current_participants').default(0),
    notes: text('notes'),
    sessionType: text('session_type'),
    createdAt: timestamp('created_at', { withTimezone: true }).defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).defaultNow(),
  },
  (t) => [
    // machine_id leads, so this one index serves the ON DELETE RESTRICT check and the calendar query
    // (one machine's sessions in a date range, ordered by start). The name is the seed's.
    index('idx_training_sessions_machine_id').on(t.machineId, t.scheduledStart),
    index('idx_training_sessions_trainer_id').on(t.trainerId),
    index('idx_training_sessions_scheduled_start').on(t.scheduledStart),
    check('training_sessions_current_participants_check', sql`${t.currentParticipants} >= 0`),
    // 0007_training_sessions_integrity: what zod checked alone before, the database now refuses too.
    check('training_sessions_end_after_start_check', sql`${t.scheduledEnd} > ${t.scheduledStart}`),
    check('training_sessions_status_check', sql`${t.status} IN ('scheduled', 'in_progress', 'completed', 'cancelled')`),
    // 0010: no session from or until infinity, whoever writes it.
    check('training_sessions_finite_times_check', sql`isfinite(${t.scheduledStart}) AND isfinite(${t.scheduledEnd})`),
    // The sessions that hold their machine, by slot: the no-overlap trigger (0007) probes it for every
    // booking and move; half-open ranges, so a session ending at 10:00 and one starting at 10:00 both fit.
    index('training_sessions_active_slot_idx')
      .using('gist', sql`tstzrange(${t.scheduledStart}, ${t.scheduledEnd}, '[)')`)
      .where(sql`${t.status} IN ('scheduled', 'in_progress')`),
    // A member sees the sessions they are booked on; a trainer those they are assigned to; an admin all.
    pgPolicy('training_sessions_read', {
      for: 'select',
      to: authenticatedRole,
      using: sql`${t.trainerId} = ${currentTrainerId} or ${t.id} in (select gym_private.member_session_ids()) or ${isAdmin}`,
    }),
    // A trainer sets the status of their own sessions (a trigger, 0006, keeps them from changing anything
    // else); an admin changes anything.
    pgPolicy('training_sessions_update', {
      for: 'update',
      to: authenticatedRole,
      using: sql`${t.trainerId} = ${currentTrainerId} or ${isAdmin}`,
      withCheck: sql`${t.trainerId} = ${currentTrainerId} or ${isAdmin}`,
    }),
    pgPolicy('training_sessions_admin_insert', { for: 'insert', to: authenticatedRole, withCheck: isAdmin }),
    pgPolicy('training_sessions_admin_delete', { for: 'delete', to: authenticatedRole, using: isAdmin }),
  ],
);
