import type pg from 'pg';
import { EditedMigrationError, UnknownAppliedMigrationError } from './errors.js';
import type { MigrationState } from './plan.js';

/**
 * The migrations table: Drizzle's own, so that drizzle-orm's migrate() and this migrator agree on what is
 * applied, plus an applied_at column. This module is the only one that names it, for reading or writing:
 * its DDL, its reads, its writes, and the messages that name it. Everything else, test helpers and the
 * bench included, goes through the functions below (scripts/check-migrations-table.ts keeps it so).
 */
const MIGRATIONS_TABLE = 'drizzle.__drizzle_migrations';

/** What can run a query: a client, a pool, or a test database's pool. */
type Queryable = Pick<pg.ClientBase, 'query'>;

/** One row of the migrations table. */
export interface AppliedRow {
  id: number;
  hash: string;
  createdAt: number | null;
  appliedAt: Date | null;
}

/** Whether the migrations table exists: not before the first migrate, nor after everything is rolled back. */
export async function migrationsTableExists(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ t: string | null }>(`SELECT to_regclass('${MIGRATIONS_TABLE}')::text AS t`);
  return !!rows[0]?.t;
}

/** Every row, in the order they were written; none when the table does not exist. */
export async function readApplied(db: Queryable): Promise<AppliedRow[]> {
  if (!(await migrationsTableExists(db))) return [];
  const { rows: cols } = await db.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM information_schema.columns
                     WHERE table_schema = 'drizzle' AND table_name = '__drizzle_migrations' AND column_name = 'applied_at') AS present`,
  );
  const appliedAt = cols[0]?.present ? 'applied_at' : 'NULL::timestamptz';
  const { rows } = await db.query<{ id: number; hash: string; created_at: string | null; applied_at: Date | null }>(
    `SELECT id, hash, created_at, ${appliedAt} AS applied_at FROM ${MIGRATIONS_TABLE} ORDER BY id`,
  );
  return rows.map((r) => ({
    id: r.id,
    hash: r.hash,
    createdAt: r.created_at === null ? null : Number(r.created_at),
    appliedAt: r.applied_at,
  }));
}

export async function ensureMigrationsTable(client: Queryable): Promise<void> {
  // Drizzle's own table, plus an applied_at column with a default: drizzle's migrate() never names it,
  // so the table stays usable by both.
  await client.query('CREATE SCHEMA IF NOT EXISTS drizzle');
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
  );
  await client.query(`ALTER TABLE ${MIGRATIONS_TABLE} ADD COLUMN IF NOT EXISTS applied_at timestamptz DEFAULT now()`);
}

/** Records a migration as applied, as Drizzle does: its file's sha256, and its journal `when` as created_at. */
export async function recordApplied(client: Queryable, migration: { hash: string; when: number }): Promise<void> {
  await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES ($1, $2)`, [
    migration.hash,
    migration.when,
  ]);
}

/** Forgets a rolled-back migration's row. */
/**
 * Whether a statement, as pg_stat_activity shows it, is this module's own write to the migrations table:
 * tests that explain what a migrator was doing at a given moment recognise its bookkeeping by it.
 */
export function writesMigrationsTable(sql: string): boolean {
  const q = sql.trimStart();
  return q.startsWith(`INSERT INTO ${MIGRATIONS_TABLE} `) || q.startsWith(`DELETE FROM ${MIGRATIONS_TABLE} `);
}

export async function deleteApplied(client: Queryable, row: AppliedRow): Promise<void> {
  await client.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE id = $1`, [row.id]);
}

/**
 * Once every migration is rolled back, the migrations table (and the drizzle schema, when it holds nothing
 * else) goes too: rolling everything back leaves an empty database, as before the first migrate. The next
 * migrate creates them again.
 */
export async function dropEmptyBookkeeping(client: Queryable): Promise<void> {
  await client.query(`DO $$
BEGIN
  IF to_regclass('${MIGRATIONS_TABLE}') IS NULL OR EXISTS (SELECT 1 FROM ${MIGRATIONS_TABLE}) THEN
    RETURN;
  END IF;
  DROP TABLE ${MIGRATIONS_TABLE};
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = 'drizzle'::regnamespace)
     AND NOT EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = 'drizzle'::regnamespace)
     AND NOT EXISTS (SELECT 1 FROM pg_type WHERE typnamespace = 'drizzle'::regnamespace) THEN
    DROP SCHEMA drizzle;
  END IF;
END
$$`);
}

/** Refuses a run when an applied migration's file no longer has the hash its row records. */
export function refuseEdited(states: MigrationState[]): void {
  const edited = states.filter((s) => s.state === 'edited').map((s) => s.migration.tag);
  if (edited.length === 0) return;
  throw new EditedMigrationError(
    edited,
    `${edited.map((t) => `${t}.sql`).join(', ')} changed after ${edited.length === 1 ? 'it was' : 'they were'} applied (its sha256 no longer matches ${MIGRATIONS_TABLE})`,
    'Restore the file from version control (git checkout -- packages/db/migrations) and put the change in a new migration (pnpm db:generate); nothing was changed.',
  );
}

/** Refuses a run when rows of the table match no migration of the journal. */
export function refuseUnknown(unknown: AppliedRow[]): void {
  if (unknown.length === 0) return;
  const rows = unknown.map((u) => `created_at ${u.createdAt ?? 'null'}, hash ${u.hash.slice(0, 12)}…`).join('; ');
  throw new UnknownAppliedMigrationError(
    `${MIGRATIONS_TABLE} records ${unknown.length === 1 ? 'a migration' : `${unknown.length} migrations`} that the journal does not have (${rows}): one was regenerated, renamed or removed after it was applied, so the files no longer describe this database`,
    'Restore the migration and its journal entry as they were when applied (git log -- packages/db/migrations) and put any change in a new migration; nothing was changed.',
  );
}
