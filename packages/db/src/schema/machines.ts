import { sql } from 'drizzle-orm';

import { boolean, check, integer, pgPolicy, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { adminWritePolicies, authenticatedRole, isStudioUser } from './auth.js';
import { timestamps } from './columns.js';

/** The studio has exactly three machines; 0001_machines seeds them. */
export const machineNumbers = [1, 2, 3] as const;
export type MachineNumber = (typeof machineNumbers)[number];

export const machines = pgTable(
  'machines',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    machineNumber: integer('machine_number').$type<MachineNumber>().notNull().unique(),
    name: text('name').notNull(),
    isAvailable: boolean('is_available').notNull().default(true),
    ...timestamps,
  },
  (t) => [
    check('machines_machine_number_check', sql`${t.machineNumber} IN (1, 2, 3)`),
    // Members, trainers and admins read the machines (US-001); only admins change them.
    pgPolicy('machines_read', { for: 'select', to: authenticatedRole, using: isStudioUser }),
    ...adminWritePolicies('machines'),
  ],
);
