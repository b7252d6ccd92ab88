import { sql } from 'drizzle-orm';
import { index, pgPolicy, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { authenticatedRole, isAdmin } from './auth.js';
import { machines } from './machines.js';
import { trainingSessions } from './training-sessions.js';

/**
 * The sessions 0007_training_sessions_integrity moved off a machine they double-booked (US-002 had put
 * every old session on Machine 1): one row per move, for admins to read; its rollback puts them back.
 */
export const sessionMachineMoves = pgTable(
  'session_machine_moves',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => trainingSessions.id, { onDelete: 'cascade' }),
    fromMachineId: uuid('from_machine_id')
      .notNull()
      .references(() => machines.id),
    toMachineId: uuid('to_machine_id')
      .notNull()
      .references(() => machines.id),
    movedAt: timestamp('moved_at', { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    index('session_machine_moves_session_id_idx').on(t.sessionId),
    // 0010: every foreign key has an index (Supabase's linter, unindexed_foreign_keys).
    index('session_machine_moves_from_machine_id_idx').on(t.fromMachineId),
    index('session_machine_moves_to_machine_id_idx').on(t.toMachineId),
    // Only admins read it; nobody writes it through the API (the migration does, as the owner).
    pgPolicy('session_machine_moves_admin_read', { for: 'select', to: authenticatedRole, using: isAdmin }),
  ],
);
