import { migrationsFolder } from '@gym/db/migrations';
import { loadMigrations, writesMigrationsTable } from '@gym/migrate';
import { migrateTo, rollbackTo } from '@gym/testing/migrate';
import { allTags } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { describe, expect, it } from 'vitest';

// The corpus suites tell the migrator's bookkeeping from the migration it runs by writesMigrationsTable(),
// read against pg_stat_activity's text of a statement. A predicate that went stale (the migrator's INSERT
// or DELETE reworded) would let a bookkeeping write pass for migration work there, or the other way round.
// So this reads what the server itself saw: a statement trigger on the migrations table records
// current_query(), the client's statement text, exactly as pg_stat_activity shows it, for every write
// of a real migrate and rollback.
const { database } = perTestResources();

describe('writesMigrationsTable() knows the statements the migrator sends to its table', () => {
  it("matches every write of a real migrate and rollback, and no migration's own statement", async () => {
    const db = await database('empty');
    await migrateTo(db.url, allTags[0]);

    // Found through the catalog, not by name: state.ts is the one file that names the table.
    const { rows: tables } = await db.pool.query<{ table: string }>(
      `SELECT c.oid::regclass::text AS table FROM pg_class c
        WHERE c.relnamespace = 'drizzle'::regnamespace AND c.relkind = 'r'`,
    );
    expect(tables).toHaveLength(1);
    await db.pool.query(`
      CREATE SCHEMA probe;
      CREATE TABLE probe.writes (op text NOT NULL, query text NOT NULL);
      CREATE FUNCTION probe.record() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
      BEGIN
        INSERT INTO probe.writes VALUES (TG_OP, current_query());
        RETURN NULL;
      END $$;
      CREATE TRIGGER probe_writes AFTER INSERT OR UPDATE OR DELETE ON ${tables[0]!.table}
        FOR EACH STATEMENT EXECUTE FUNCTION probe.record();`);

    await migrateTo(db.url);
    await rollbackTo(db.url, allTags[0]);

    const { rows: writes } = await db.pool.query<{ op: string; query: string }>('SELECT op, query FROM probe.writes');
    const later = allTags.length - 1;
    expect(writes.filter((w) => w.op === 'INSERT')).toHaveLength(later);
    expect(writes.filter((w) => w.op === 'DELETE')).toHaveLength(later);
    expect(writes.filter((w) => !writesMigrationsTable(w.query)).map((w) => w.query)).toEqual([]);

    const migrationStatements = loadMigrations(migrationsFolder).flatMap((m) => m.statements);
    expect(migrationStatements.length).toBeGreaterThan(allTags.length);
    expect(migrationStatements.filter(writesMigrationsTable)).toEqual([]);
  });
});
