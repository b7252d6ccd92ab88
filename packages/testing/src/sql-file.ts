import fs from 'node:fs';
import path from 'node:path';
import { migrationsFolder } from '@gym/db/migrations';
import type pg from 'pg';

/**
 * Runs a migration file the way `psql -f` does: one statement at a time, each in its own transaction
 * (autocommit), with no migrator around it.
 */
export async function runSqlFileByHand(
  pool: pg.Pool,
  tag: string,
  /** Called after each statement, with its text: lets a test act while the migration is half done. */
  after?: (statement: string) => Promise<void>,
): Promise<void> {
  const text = fs.readFileSync(path.join(migrationsFolder, `${tag}.sql`), 'utf8');
  // One connection for the whole file, as psql has: the file sets session settings it reads back later.
  const client = await pool.connect();
  try {
    for (const statement of text.split('--> statement-breakpoint')) {
      if (statement.replace(/--[^\n]*/g, '').trim() === '') continue;
      await client.query(statement);
      await after?.(statement);
    }
  } finally {
    client.release();
  }
}

/** What 0004's archive holds for each session: its newest 'trigger' row, else its 'copy' row (as the rollback reads it). */
export async function archivedValues(
  db: Pick<pg.ClientBase, 'query'>,
): Promise<Map<string, { max_participants: number | null; location: string | null }>> {
  const { rows } = await db.query<{ session_id: string; max_participants: number | null; location: string | null }>(
    `SELECT DISTINCT ON (session_id) session_id, max_participants, location FROM gym_migrations.training_sessions_us002_archive
      ORDER BY session_id, captured_by = 'trigger' DESC, archived_at DESC`,
  );
  return new Map(rows.map((r) => [r.session_id, { max_participants: r.max_participants, location: r.location }]));
}
