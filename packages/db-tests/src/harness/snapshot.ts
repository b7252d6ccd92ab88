import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * Everything a migration can change in the catalog of the public and drizzle schemas, as sorted text:
 * two equal snapshots mean the schema is the same. Column order is left out on purpose: PostgreSQL can
 * only append columns, so a rollback that re-adds one cannot put it back in its old position.
 */
export async function catalogSnapshot(db: Queryable): Promise<Record<string, string[]>> {
  const q = async (sql: string) => (await db.query<{ x: string }>(sql)).rows.map((r) => r.x).sort();
  return {
    tables: await q(`SELECT table_schema || '.' || table_name || ' ' || table_type AS x FROM information_schema.tables
                      WHERE table_schema IN ('public', 'drizzle')`),
    columns:
      await q(`SELECT table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
                             || ' default=' || coalesce(column_default, '-') AS x
                        FROM information_schema.columns WHERE table_schema IN ('public', 'drizzle')`),
    constraints:
      await q(`SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' valid=' || convalidated AS x
                            FROM pg_constraint WHERE connamespace IN ('public'::regnamespace, 'drizzle'::regnamespace)`),
    indexes: await q(`SELECT pg_get_indexdef(i.indexrelid) || ' valid=' || i.indisvalid AS x
                        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                       WHERE c.relnamespace IN ('public'::regnamespace, 'drizzle'::regnamespace)`),
    views: await q(`SELECT viewname || ': ' || definition AS x FROM pg_views WHERE schemaname = 'public'`),
    functions: await q(`SELECT p.oid::regprocedure::text || ': ' || md5(pg_get_functiondef(p.oid)) AS x
                          FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace`),
    triggers: await q(
      `SELECT tgrelid::regclass::text || ' ' || pg_get_triggerdef(oid) AS x FROM pg_trigger WHERE NOT tgisinternal`,
    ),
    policies:
      await q(`SELECT polrelid::regclass::text || ' ' || polname || ' ' || polcmd::text || ' ' || polroles::regrole[]::text
                               || ' using=' || coalesce(pg_get_expr(polqual, polrelid), '-')
                               || ' check=' || coalesce(pg_get_expr(polwithcheck, polrelid), '-') AS x FROM pg_policy
                          JOIN pg_class c ON c.oid = polrelid WHERE c.relnamespace IN ('public'::regnamespace, 'drizzle'::regnamespace)`),
    rowSecurity:
      await q(`SELECT oid::regclass::text || ' rls=' || relrowsecurity || ' options=' || coalesce(reloptions::text, '-') AS x
                            FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v')`),
    comments: await q(`SELECT c.relname || '.' || a.attname || ': ' || d.description AS x
                         FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
                         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
                        WHERE c.relnamespace = 'public'::regnamespace`),
  };
}

/** Every row of every table in public and drizzle, as sorted JSON text per table (jsonb: keys in a fixed order, whatever the column order). */
export async function dataSnapshot(db: Queryable): Promise<Record<string, string[]>> {
  const { rows: tables } = await db.query<{ t: string }>(
    `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t FROM information_schema.tables
      WHERE table_schema IN ('public', 'drizzle') AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const out: Record<string, string[]> = {};
  for (const { t } of tables) {
    const { rows } = await db.query<{ r: string }>(`SELECT to_jsonb(x)::text AS r FROM ${t} x`);
    out[t] = rows.map((r) => r.r).sort();
  }
  return out;
}

/** Rows of one table as objects keyed by primary key `id`, with chosen columns dropped. */
export async function rowsById(
  db: Queryable,
  table: string,
  omit: string[] = [],
): Promise<Map<string, Record<string, unknown>>> {
  const { rows } = await db.query<{ r: Record<string, unknown> }>(`SELECT to_jsonb(x) AS r FROM ${table} x`);
  return new Map(
    rows.map(({ r }) => {
      for (const c of omit) delete r[c];
      return [String(r.id), r];
    }),
  );
}
