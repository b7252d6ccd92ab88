import { sql } from 'drizzle-orm';

import { check, index, pgPolicy, pgTable, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { adminWritePolicies, authenticatedRole, currentMemberId, isAdmin } from './auth.js';
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
    // 0010: one confirmed booking per session (US-002), however it is written (a booking moved to another
    // session included), at every isolation level.
    uniqueIndex('training_session_members_one_confirmed_idx')
      .on(t.sessionId)
      .where(sql`${t.bookingStatus} = 'confirmed'`),
    check(
      'training_session_members_booking_status_check',
      sql`${t.bookingStatus} IN ('confirmed', 'waitlisted', 'cancelled', 'no_show', 'attended')`,
    ),
    // A member sees their own bookings (and books only through the booking function); a trainer sees the
    // bookings on their sessions; an admin all.
    pgPolicy('training_session_members_read', {
      for: 'select',
      to: authenticatedRole,
      using: sql`${t.memberId} = ${currentMemberId} or ${t.sessionId} in (select gym_private.trainer_session_ids()) or ${isAdmin}`,
    }),
    ...adminWritePolicies('training_session_members'),
  ],
);
