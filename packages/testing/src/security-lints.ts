import { securityPolicy } from '@gym/db/migrations';
import { checkSecurity, securityCheckNames } from '@gym/migrate';
import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * Supabase's database linter (splinter) as catalog queries, for the suites: the security checks are the
 * migrator's own (`checkSecurity`, which holds every migration to them), and these two performance lints
 * complete what Supabase's linter warns about on this schema. Each returns the objects it finds; a clean
 * database finds none.
 */
export const performanceLints: Record<string, string> = {
  // 0006 multiple_permissive_policies: several permissive policies for one role and action are each
  // evaluated for every row.
  multiple_permissive_policies: `
    SELECT format('%s %s %s', c.oid::regclass, r.rolname, act.cmd) AS name
      FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_roles r ON p.polroles @> ARRAY[r.oid] OR p.polroles = ARRAY[0::oid]
     CROSS JOIN LATERAL unnest(CASE p.polcmd WHEN 'r' THEN ARRAY['SELECT'] WHEN 'a' THEN ARRAY['INSERT']
                                             WHEN 'w' THEN ARRAY['UPDATE'] WHEN 'd' THEN ARRAY['DELETE']
                                             ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'] END) AS act(cmd)
     WHERE p.polpermissive AND c.relkind = 'r' AND n.nspname = ANY ($1)
       AND r.rolname NOT LIKE 'pg\\_%' AND NOT r.rolbypassrls
     GROUP BY c.oid, r.rolname, act.cmd HAVING count(*) > 1`,
  // 0001 unindexed_foreign_keys: a foreign key whose columns lead no valid index (Supabase: INFO).
  unindexed_foreign_keys: `
    SELECT format('%s %s', con.conrelid::regclass, con.conname) AS name
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE con.contype = 'f' AND n.nspname = ANY ($1)
       AND NOT EXISTS (SELECT 1 FROM pg_index i
                        WHERE i.indrelid = con.conrelid AND i.indisvalid
                          AND (string_to_array(i.indkey::text, ' ')::smallint[])[1:cardinality(con.conkey)] = con.conkey)`,
};

/** Every lint's findings (the migrator's security checks and the performance lints), keyed by lint. */
export async function runSecurityLints(db: Queryable): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = Object.fromEntries(lintNames.map((l) => [l, []]));
  for (const f of await checkSecurity(db, securityPolicy)) out[f.check]!.push(f.object);
  for (const [lint, sql] of Object.entries(performanceLints)) {
    const { rows } = await db.query<{ name: string }>(sql, [securityPolicy.ownSchemas]);
    out[lint] = rows.map((r) => r.name);
  }
  for (const lint of Object.keys(out)) out[lint]!.sort();
  return out;
}

/** Every lint the suites run, each empty: what a clean database reports. */
export const lintNames = [...securityCheckNames, ...Object.keys(performanceLints)];
export const cleanLints = (): Record<string, string[]> => Object.fromEntries(lintNames.map((l) => [l, []]));

/**
 * Makes an empty database look the way Supabase sets one up before any migration: the API roles, an auth
 * schema with uid() and jwt(), and the default privileges that grant every new table and function in
 * public to anon, authenticated and service_role.
 */
export async function makeSupabaseLike(db: Queryable): Promise<void> {
  await db.query(`DO $$
    DECLARE v_role text;
    BEGIN
      FOREACH v_role IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', v_role);
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
      END LOOP;
    END $$`);
  await db.query(`CREATE SCHEMA auth;
    CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
      SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid $$;
    CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
      SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                      nullif(current_setting('request.jwt.claims', true), ''))::jsonb $$;
    GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
    GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;`);
}
