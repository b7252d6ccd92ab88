import { timestamp } from 'drizzle-orm/pg-core';

/** created_at / updated_at as every gym table has them; the updated_at trigger lives in SQL (0000_baseline). */
export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

/** Status of a trainer or a member. */
export const personStatuses = ['active', 'inactive'] as const;
