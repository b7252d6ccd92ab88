import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;

// Every schema but PostgreSQL's own: public, drizzle, gym_migrations, gym_private, auth, and whatever else a
// migration or a platform (Supabase) put there.
const USER_SCHEMA = (alias: string) =>
  `${alias}.nspname NOT LIKE 'pg\\_%' AND ${alias}.nspname <> 'information_schema'`;

// A privilege list as sorted "grantee=privilege" items (grantable ones marked *), so that two lists granting
// the same compare equal whatever order the grants were made in. NULL means the object type's default
// (acldefault: all for the owner, and EXECUTE for PUBLIC on a function), compared as what it grants, as
// pg_dump does; `kind` is an SQL expression of acldefault's object letter, or null where NULL grants nothing
// (columns, default ACLs).
const acl = (column: string, kind: string | null, owner = '') => {
  const list = kind ? `coalesce(${column}, acldefault((${kind})::"char", ${owner}))` : column;
  return `coalesce((SELECT string_agg(x, ',' ORDER BY x) FROM (
    SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END || '=' || a.privilege_type
           || CASE WHEN a.is_grantable THEN '*' ELSE '' END AS x
      FROM aclexplode(${list}) a) acl), 'none')`;
};

/**
 * Everything migrations can change in the catalog of every schema, as sorted text per kind: two equal
 * snapshots mean the same schema, privileges included (of schemas, tables, views, columns, sequences and
 * functions), with view options, row-level security, function rights and paths, trigger states, policies,
 * comments, default privileges, extensions and event triggers. Column order is left out on purpose:
 * PostgreSQL can only append columns, so a rollback that re-adds one cannot put it back in its old position.
 */
export async function catalogSnapshot(db: Queryable): Promise<Record<string, string[]>> {
  const q = async (sql: string) => (await db.query<{ x: string }>(sql)).rows.map((r) => r.x).sort();
  return {
    schemas:
      await q(`SELECT n.nspname || ' owner=' || pg_get_userbyid(n.nspowner) || ' acl=' || ${acl('n.nspacl', `'n'`, 'n.nspowner')} AS x
                        FROM pg_namespace n WHERE ${USER_SCHEMA('n')}`),
    relations: await q(`SELECT c.oid::regclass::text || ' kind=' || c.relkind::text || ' rls=' || c.relrowsecurity
                                 || ' force_rls=' || c.relforcerowsecurity
                                 || ' options=' || coalesce(c.reloptions::text, '-') || ' acl=' || ${acl('c.relacl', `CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END`, 'c.relowner')} AS x
                          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE ${USER_SCHEMA('n')} AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')`),
    columns: await q(`SELECT c.oid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                               || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                               || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-')
                               || CASE WHEN a.attidentity <> '' THEN ' identity=' || a.attidentity::text ELSE '' END
                               || CASE WHEN a.attgenerated <> '' THEN ' generated' ELSE '' END
                               || ' acl=' || ${acl('a.attacl', null)} AS x
                        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                        JOIN pg_namespace n ON n.oid = c.relnamespace
                        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                       WHERE ${USER_SCHEMA('n')} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped`),
    constraints: await q(`SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(con.oid)
                                   || ' valid=' || convalidated AS x
                            FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
                           WHERE ${USER_SCHEMA('n')}`),
    indexes: await q(`SELECT pg_get_indexdef(i.indexrelid) || ' valid=' || i.indisvalid AS x
                        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE ${USER_SCHEMA('n')}`),
    views: await q(`SELECT c.oid::regclass::text || ': ' || pg_get_viewdef(c.oid) AS x
                      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE ${USER_SCHEMA('n')} AND c.relkind IN ('v', 'm')`),
    functions: await q(`SELECT p.oid::regprocedure::text || ': ' || md5(pg_get_functiondef(p.oid))
                                 || ' security_definer=' || p.prosecdef || ' config=' || coalesce(p.proconfig::text, '-')
                                 || ' owner=' || pg_get_userbyid(p.proowner) || ' acl=' || ${acl('p.proacl', `'f'`, 'p.proowner')} AS x
                          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_SCHEMA('n')}`),
    triggers:
      await q(`SELECT t.tgrelid::regclass::text || ' ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text AS x
                         FROM pg_trigger t WHERE NOT t.tgisinternal`),
    policies: await q(`SELECT pol.polrelid::regclass::text || ' ' || pol.polname || ' ' || pol.polcmd::text
                                || CASE WHEN pol.polpermissive THEN ' permissive ' ELSE ' restrictive ' END
                                || pol.polroles::regrole[]::text
                                || ' using=' || coalesce(pg_get_expr(pol.polqual, pol.polrelid), '-')
                                || ' check=' || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '-') AS x
                         FROM pg_policy pol`),
    types: await q(`SELECT n.nspname || '.' || t.typname || ' ' || t.typtype::text
                             || coalesce(' ' || (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                                                   FROM pg_enum e WHERE e.enumtypid = t.oid), '') AS x
                      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                     WHERE ${USER_SCHEMA('n')} AND t.typtype IN ('e', 'd', 'c')
                       AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')`),
    comments: await q(`SELECT pg_describe_object(d.classoid, d.objoid, d.objsubid) || ': ' || d.description AS x
                         FROM pg_description d
                        WHERE (d.classoid = 'pg_class'::regclass AND EXISTS (
                                 SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                  WHERE c.oid = d.objoid AND ${USER_SCHEMA('n')}))
                           OR (d.classoid = 'pg_proc'::regclass AND EXISTS (
                                 SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                                  WHERE p.oid = d.objoid AND ${USER_SCHEMA('n')}))
                           OR (d.classoid = 'pg_namespace'::regclass AND EXISTS (
                                 SELECT 1 FROM pg_namespace n WHERE n.oid = d.objoid AND ${USER_SCHEMA('n')}))`),
    defaultAcls:
      await q(`SELECT pg_get_userbyid(d.defaclrole) || ' in ' || coalesce(d.defaclnamespace::regnamespace::text, '*')
                                   || ' ' || d.defaclobjtype::text || ' ' || ${acl('d.defaclacl', null)} AS x
                            FROM pg_default_acl d`),
    extensions: await q(`SELECT e.extname || ' ' || e.extversion || ' in ' || e.extnamespace::regnamespace::text AS x
                           FROM pg_extension e`),
    eventTriggers: await q(
      `SELECT evtname || ' ' || evtevent || ' enabled=' || evtenabled::text AS x FROM pg_event_trigger`,
    ),
  };
}

/**
 * Every row of every table in every schema, as sorted JSON text per table (jsonb: keys in a fixed order,
 * whatever the column order). Equal snapshots mean no row of any table changed, the migrations' archives and
 * bookkeeping included.
 */
export async function dataSnapshot(db: Queryable): Promise<Record<string, string[]>> {
  const { rows: tables } = await db.query<{ t: string }>(
    `SELECT c.oid::regclass::text AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${USER_SCHEMA('n')} AND c.relkind IN ('r', 'p') ORDER BY 1`,
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

/**
 * A catalog snapshot without the objects inside gym_migrations: the application's schema, as drizzle-kit
 * sees it, without the archives that migrations keep there on purpose for their rollbacks.
 */
export function withoutMigrationArchives(snapshot: Record<string, string[]>): Record<string, string[]> {
  const archived = /(^|[ (])gym_migrations\./;
  return Object.fromEntries(
    Object.entries(snapshot).map(([kind, rows]) => [kind, rows.filter((r) => !archived.test(r))]),
  );
}
