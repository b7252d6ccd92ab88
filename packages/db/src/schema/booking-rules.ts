import { sql } from 'drizzle-orm';
import { boolean, check, integer, pgPolicy, pgTable, timestamp } from 'drizzle-orm/pg-core';
import { authenticatedRole, isAdmin, isStudioUser } from './auth.js';

/**
 * The studio's booking limits, one row, read by the booking function (0009) for every booking a member
 * makes through the API: an admin changes them with an UPDATE, no migration needed. Admins themselves,
 * and trusted connections (the owner, service_role), may book outside them (past sessions, say).
 */
export const bookingRules = pgTable(
  'booking_rules',
  {
    // The table holds one row: its key can only be true.
    id: boolean('id').primaryKey().default(true),
    /** The longest slot a member may book. */
    maxSlotMinutes: integer('max_slot_minutes').notNull().default(120),
    /** How far ahead a member may book, in days from now. */
    maxDaysAhead: integer('max_days_ahead').notNull().default(28),
    /** How many scheduled sessions, not yet ended, a member may hold at once. */
    maxActiveBookingsPerMember: integer('max_active_bookings_per_member').notNull().default(8),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('booking_rules_single_row_check', sql`${t.id}`),
    check(
      'booking_rules_limits_check',
      sql`${t.maxSlotMinutes} BETWEEN 15 AND 1440 AND ${t.maxDaysAhead} BETWEEN 1 AND 366 AND ${t.maxActiveBookingsPerMember} BETWEEN 1 AND 1000`,
    ),
    pgPolicy('booking_rules_read', { for: 'select', to: authenticatedRole, using: isStudioUser }),
    pgPolicy('booking_rules_admin_update', {
      for: 'update',
      to: authenticatedRole,
      using: isAdmin,
      withCheck: isAdmin,
    }),
  ],
);

/**
 * The names the booking function (0009) gives its refusals, as a constraint would: with SQLSTATE 23514
 * (check_violation), 42501 for the trainer rule and 55000 for an inactive member. @gym/bookings maps them.
 */
export const bookingRuleConstraints = {
  memberActive: 'booking_rules_member_active',
  startNotInPast: 'booking_rules_start_not_in_past',
  maxDaysAhead: 'booking_rules_max_days_ahead',
  maxSlotMinutes: 'booking_rules_max_slot_minutes',
  maxActiveBookings: 'booking_rules_max_active_bookings',
  trainerAssignment: 'booking_rules_trainer_assignment',
} as const;
