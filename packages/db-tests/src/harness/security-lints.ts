import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * The security checks of Supabase's database linter (splinter) that gym-db must pass, as catalog queries:
 * each returns the names of the objects it finds, and a clean database finds none. The schemas checked are
 * those the API exposes (public) plus gym-db's own (gym_private).
 */
export const securityLints: Record<string, string> = {
  // 0013 rls_disabled_in_public: a table the API serves without row-level security.
  rls_disabled_in_public: `
    SELECT c.oid::regclass::text AS name FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity`,
  // 0010 security_definer_view: a view that runs with its owner's rights, bypassing the caller's RLS.
  security_definer_view: `
    SELECT c.oid::regclass::text AS name FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v'
       AND NOT coalesce(c.reloptions @> ARRAY['security_invoker=true'] OR c.reloptions @> ARRAY['security_invoker=on'], false)`,
  // 0011 function_search_path_mutable: a function whose search_path the caller decides.
  function_search_path_mutable: `
    SELECT p.oid::regprocedure::text AS name FROM pg_proc p
     WHERE p.pronamespace::regnamespace::text IN ('public', 'gym_private')
       AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) cfg WHERE cfg LIKE 'search_path=%')`,
  // 0024 rls_policy_always_true: a write policy that lets every row through.
  rls_policy_always_true: `
    SELECT pol.polname || ' on ' || pol.polrelid::regclass::text AS name FROM pg_policy pol
     WHERE pol.polcmd IN ('a', 'w', 'd', '*')
       AND (pg_get_expr(pol.polqual, pol.polrelid) IN ('true', '(true)')
            OR pg_get_expr(pol.polwithcheck, pol.polrelid) IN ('true', '(true)'))`,
  // 0028 anon_security_definer_function_executable: a function with its owner's rights that anon may call.
  anon_security_definer_function_executable: `
    SELECT p.oid::regprocedure::text AS name FROM pg_proc p
     WHERE p.pronamespace::regnamespace::text IN ('public', 'gym_private') AND p.prosecdef
       AND has_function_privilege('anon', p.oid, 'EXECUTE')`,
  // Not in splinter, but what it protects: a table or view in public that anon holds any privilege on.
  anon_table_privileges: `
    SELECT c.oid::regclass::text AS name FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
       AND (has_table_privilege('anon', c.oid, 'SELECT') OR has_table_privilege('anon', c.oid, 'INSERT')
            OR has_table_privilege('anon', c.oid, 'UPDATE') OR has_table_privilege('anon', c.oid, 'DELETE'))`,
};

/** Every lint's findings, keyed by lint; all empty on a clean database. */
export async function runSecurityLints(db: Queryable): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [lint, sql] of Object.entries(securityLints)) {
    out[lint] = (await db.query<{ name: string }>(sql)).rows.map((r) => r.name).sort();
  }
  return out;
}

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
