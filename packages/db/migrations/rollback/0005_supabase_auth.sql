-- Rollback of 0005_supabase_auth. The roles anon, authenticated and service_role belong to the whole
-- cluster (other databases, Supabase itself) and are left alone; the auth schema is dropped only when
-- 0005 made it (its comment says so), never Supabase's.
DROP SCHEMA IF EXISTS gym_private CASCADE;
--> statement-breakpoint
DO $$
BEGIN
  IF obj_description(to_regnamespace('auth'), 'pg_namespace') = 'gym-db: stands in for Supabase Auth (0005_supabase_auth)' THEN
    DROP SCHEMA auth CASCADE;
  ELSIF to_regnamespace('auth') IS NOT NULL THEN
    IF obj_description(to_regprocedure('auth.uid()'), 'pg_proc') = 'gym-db: stands in for Supabase Auth (0005_supabase_auth)' THEN
      DROP FUNCTION auth.uid();
    END IF;
    IF obj_description(to_regprocedure('auth.jwt()'), 'pg_proc') = 'gym-db: stands in for Supabase Auth (0005_supabase_auth)' THEN
      DROP FUNCTION auth.jwt();
    END IF;
  END IF;
END
$$;
