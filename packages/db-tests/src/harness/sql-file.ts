import fs from 'node:fs';
import path from 'node:path';
import { migrationsFolder } from '@gym/db/migrations';
import type pg from 'pg';

/**
 * Runs a migration file the way `psql -f` does: one statement at a time, each in its own transaction
 * (autocommit), with no migrator around it.
 */
export async function runSqlFileByHand(client: pg.ClientBase, tag: string): Promise<void> {
  const text = fs.readFileSync(path.join(migrationsFolder, `${tag}.sql`), 'utf8');
  for (const statement of text.split('--> statement-breakpoint')) {
    if (statement.replace(/--[^\n]*/g, '').trim() === '') continue;
    await client.query(statement);
  }
}
