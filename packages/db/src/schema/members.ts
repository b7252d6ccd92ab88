import { sql } from 'drizzle-orm';

import { check, pgPolicy, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { adminWritePolicies, authenticatedRole, isAdmin } from './auth.js';
import { personStatuses, timestamps } from './columns.js';

export const members = pgTable(
  'members',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    email: text('email').notNull().unique(),
    // The signed-in user this member is (auth.users on Supabase); null until they have an account.
    authUserId: uuid('auth_user_id').unique(),
    phone: text('phone'),
    status: text('status', { enum: personStatuses }).notNull().default('active'),
    ...timestamps,
  },
  (t) => [
    check('members_status_check', sql`${t.status} IN ('active', 'inactive')`),
    // A member sees their own profile; a trainer sees the members booked on their sessions; an admin all.
    pgPolicy('members_read', {
      for: 'select',
      to: authenticatedRole,
      using: sql`${t.authUserId} = (select auth.uid()) or ${t.id} in (select gym_private.trainer_member_ids()) or ${isAdmin}`,
    }),
    ...adminWritePolicies('members'),
  ],
);
