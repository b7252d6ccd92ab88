import { integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The values US-002 (0002_training_sessions_machines) took out of training_sessions, kept so that its
 * rollback can put them back. Written only by migrations; application code has no reason to read it.
 * No foreign key on purpose: archiving 1M rows must not pay for 1M FK checks, and the rollback joins on id.
 */
export const trainingSessionsUs002Archive = pgTable('training_sessions_us002_archive', {
  sessionId: uuid('session_id').primaryKey(),
  maxParticipants: integer('max_participants'),
  location: text('location'),
  archivedAt: timestamp('archived_at', { withTimezone: true }).notNull().defaultNow(),
});
