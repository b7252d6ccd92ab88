import { sql } from 'drizzle-orm';

import { check, pgPolicy, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { adminWritePolicies, authenticatedRole, isStudioUser } from './auth.js';
import { personStatuses, timestamps } from './columns.js';

export const trainers = pgTable(
  'trainers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    email: text('email').notNull().unique(),
    // The signed-in user this trainer is (auth.users on Supabase); null until they have an account.
    authUserId: uuid('auth_user_id').unique(),
    phone: text('phone'),
    status: text('status', { enum: personStatuses }).notNull().default('active'),
    ...timestamps,
  },
  (t) => [
    check('trainers_status_check', sql`${t.status} IN ('active', 'inactive')`),
    // Trainers are named on the sessions members see, so members, trainers and admins read them; email and
    // phone only admins and the trainer (column privileges, 0009: gym_private.trainer_contact()).
    pgPolicy('trainers_read', { for: 'select', to: authenticatedRole, using: isStudioUser }),
    ...adminWritePolicies('trainers'),
  ],
);
