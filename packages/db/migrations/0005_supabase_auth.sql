-- Hand-written (drizzle-kit generate --custom): what the row-level security of 0006 stands on, which
-- drizzle-kit does not model. On Supabase the roles, the auth schema and auth.uid()/auth.jwt() are there,
-- and this migration uses them and changes nothing of them. On plain PostgreSQL (embedded, CI, a user's own
-- server) it creates what Supabase would have provided: the roles if missing, and an auth.uid() and
-- auth.jwt() that read the request's JWT claims the way PostgREST sets them (request.jwt.claims).
-- The migrator sets lock_timeout for every migration (SET LOCAL, --lock-timeout) and retries on 55P03; a
-- statement_timeout would only cut short legitimate work.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
DO $$
DECLARE
  v_role text;
BEGIN
  FOREACH v_role IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', v_role);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        -- Roles belong to the whole cluster: another database's migration created it a moment ago.
        NULL;
      END;
    END IF;
  END LOOP;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  IF to_regnamespace('auth') IS NULL THEN
    CREATE SCHEMA auth;
    -- The rollback drops the schema only when this migration made it.
    COMMENT ON SCHEMA auth IS 'gym-db: stands in for Supabase Auth (0005_supabase_auth)';
    GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
  END IF;
  IF to_regprocedure('auth.uid()') IS NULL THEN
    CREATE FUNCTION auth.uid() RETURNS uuid
    LANGUAGE sql STABLE SET search_path = '' AS $f$
      SELECT nullif(coalesce(current_setting('request.jwt.claim.sub', true),
                             current_setting('request.jwt.claims', true)::jsonb ->> 'sub'), '')::uuid
    $f$;
    COMMENT ON FUNCTION auth.uid() IS 'gym-db: stands in for Supabase Auth (0005_supabase_auth)';
  END IF;
  IF to_regprocedure('auth.jwt()') IS NULL THEN
    CREATE FUNCTION auth.jwt() RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = '' AS $f$
      SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                      nullif(current_setting('request.jwt.claims', true), ''))::jsonb
    $f$;
    COMMENT ON FUNCTION auth.jwt() IS 'gym-db: stands in for Supabase Auth (0005_supabase_auth)';
  END IF;
END
$$;
--> statement-breakpoint
-- The helpers below read members.auth_user_id and trainers.auth_user_id, which 0006 adds (drizzle-kit
-- generates those columns with the policies). Their bodies are checked when first called, as pg_dump's
-- output does it; SET LOCAL ends with this migration's transaction.
SET LOCAL check_function_bodies = off;
--> statement-breakpoint
-- The policies' helpers, out of the API's reach (Supabase exposes public, not gym_private).
CREATE SCHEMA gym_private;
--> statement-breakpoint
REVOKE ALL ON SCHEMA gym_private FROM PUBLIC;
--> statement-breakpoint
GRANT USAGE ON SCHEMA gym_private TO authenticated, service_role;
--> statement-breakpoint
-- An admin is a user whose JWT carries app_metadata.role = 'admin' (only the service role can set it).
CREATE FUNCTION gym_private.is_admin() RETURNS boolean
LANGUAGE sql STABLE SET search_path = '' AS $$
  SELECT coalesce((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin', false)
$$;
--> statement-breakpoint
-- SECURITY DEFINER, here and below: a policy on one table reads another through these without that
-- table's policies applying again, which would recurse (sessions -> bookings -> sessions).
CREATE FUNCTION gym_private.current_member_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT id FROM public.members WHERE auth_user_id = auth.uid()
$$;
--> statement-breakpoint
CREATE FUNCTION gym_private.current_trainer_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT id FROM public.trainers WHERE auth_user_id = auth.uid()
$$;
--> statement-breakpoint
-- The sessions the signed-in member is booked on.
CREATE FUNCTION gym_private.member_session_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT b.session_id FROM public.training_session_members b
   WHERE b.member_id = (SELECT id FROM public.members WHERE auth_user_id = auth.uid())
$$;
--> statement-breakpoint
-- The sessions the signed-in trainer is assigned to.
CREATE FUNCTION gym_private.trainer_session_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT s.id FROM public.training_sessions s
   WHERE s.trainer_id = (SELECT id FROM public.trainers WHERE auth_user_id = auth.uid())
$$;
--> statement-breakpoint
-- The members booked on the signed-in trainer's sessions.
CREATE FUNCTION gym_private.trainer_member_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT b.member_id FROM public.training_session_members b
    JOIN public.training_sessions s ON s.id = b.session_id
   WHERE s.trainer_id = (SELECT id FROM public.trainers WHERE auth_user_id = auth.uid())
$$;
--> statement-breakpoint
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA gym_private FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA gym_private TO authenticated, service_role;
