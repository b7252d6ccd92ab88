import { sql } from 'drizzle-orm';
import { check, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { personStatuses, timestamps } from './columns.js';

export const members = pgTable(
  'members',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    email: text('email').notNull().unique(),
    phone: text('phone'),
    status: text('status', { enum: personStatuses }).notNull().default('active'),
    ...timestamps,
  },
  (t) => [check('members_status_check', sql`${t.status} IN ('active', 'inactive')`)],
);
