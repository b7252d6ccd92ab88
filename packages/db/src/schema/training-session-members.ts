import { sql } from 'drizzle-orm';

import { check, index, pgPolicy, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { authenticatedRole, currentMemberId, isAdmin } from './auth.js';
import { members } from './members.js';
import { trainingSessions } from './training-sessions.js';

export const bookingStatuses = ['confirmed', 'waitlisted', 'cancelled', 'no_show', 'attended'] as const;

export const trainingSessionMembers = pgTable(
  'training_session_members',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => trainingSessions.id, { onDelete: 'cascade' }),
    memberId: uuid('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'restrict' }),
    bookingStatus: text('booking_status', { enum: bookingStatuses }).notNull().default('confirmed'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('training_session_members_session_id_member_id_key').on(t.sessionId, t.memberId),
    index('training_session_members_member_id_idx').on(t.memberId),
    check(
      'training_session_members_booking_status_check',
      sql`${t.bookingStatus} IN ('confirmed', 'waitlisted', 'cancelled', 'no_show', 'attended')`,
    ),
    // A member sees their own bookings (and books only through the booking function); a trainer sees the
    // bookings on their sessions.
    pgPolicy('training_session_members_read_own', {
      for: 'select',
      to: authenticatedRole,
      using: sql`${t.memberId} = ${currentMemberId} or ${t.sessionId} in (select gym_private.trainer_session_ids())`,
    }),
    pgPolicy('training_session_members_admin_all', {
      for: 'all',
      to: authenticatedRole,
      using: isAdmin,
      withCheck: isAdmin,
    }),
  ],
);
