-- Rollback of 0006_row_level_security. It refuses (GYM06) while any member or trainer is linked to a
-- sign-in user, as dropping auth_user_id would lose that link; otherwise it puts every table, view and
-- function back as 0005 left them. Table privileges granted by 0006 are revoked, and anon's are not given
-- back: on Supabase that leaves the API with less than its default privileges, the safe direction.
DO $$
DECLARE
  v_linked bigint;
BEGIN
  SELECT (SELECT count(*) FROM members WHERE auth_user_id IS NOT NULL)
       + (SELECT count(*) FROM trainers WHERE auth_user_id IS NOT NULL) INTO v_linked;
  IF v_linked > 0 THEN
    RAISE EXCEPTION 'cannot roll back 0006_row_level_security: % members and trainers are linked to sign-in users (auth_user_id), and the rollback would lose those links', v_linked
      USING ERRCODE = 'GYM06',
            HINT = 'Keep 0006, or unlink them first (UPDATE members SET auth_user_id = NULL; UPDATE trainers SET auth_user_id = NULL) if losing the links is intended; nothing was changed.';
  END IF;
END
$$;
--> statement-breakpoint
DROP POLICY IF EXISTS "machines_read_signed_in" ON "machines";
--> statement-breakpoint
DROP POLICY IF EXISTS "machines_admin_all" ON "machines";
--> statement-breakpoint
DROP POLICY IF EXISTS "trainers_read_signed_in" ON "trainers";
--> statement-breakpoint
DROP POLICY IF EXISTS "trainers_admin_all" ON "trainers";
--> statement-breakpoint
DROP POLICY IF EXISTS "members_read_self_or_trainer" ON "members";
--> statement-breakpoint
DROP POLICY IF EXISTS "members_admin_all" ON "members";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_sessions_read_own" ON "training_sessions";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_sessions_trainer_update" ON "training_sessions";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_sessions_admin_all" ON "training_sessions";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_session_members_read_own" ON "training_session_members";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_session_members_admin_all" ON "training_session_members";
--> statement-breakpoint
DO $$
DECLARE
  v_table regclass;
BEGIN
  FOR v_table IN SELECT c.oid FROM pg_class c
                  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relrowsecurity LOOP
    EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', v_table);
  END LOOP;
END
$$;
--> statement-breakpoint
ALTER TABLE "trainers" DROP CONSTRAINT IF EXISTS "trainers_auth_user_id_unique", DROP COLUMN IF EXISTS "auth_user_id";
--> statement-breakpoint
ALTER TABLE "members" DROP CONSTRAINT IF EXISTS "members_auth_user_id_unique", DROP COLUMN IF EXISTS "auth_user_id";
--> statement-breakpoint
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM authenticated, service_role;
--> statement-breakpoint
DO $$
DECLARE
  v_view regclass;
BEGIN
  FOR v_view IN SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v' LOOP
    EXECUTE format('ALTER VIEW %s RESET (security_invoker)', v_view);
  END LOOP;
END
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS training_sessions_guard_update ON training_sessions;
--> statement-breakpoint
DROP FUNCTION IF EXISTS gym_private.guard_session_update();
--> statement-breakpoint
DROP TRIGGER IF EXISTS training_session_members_guard_booking ON training_session_members;
--> statement-breakpoint
DROP FUNCTION IF EXISTS gym_private.guard_booking();
--> statement-breakpoint
ALTER FUNCTION enforce_session_capacity() SECURITY INVOKER;
--> statement-breakpoint
ALTER FUNCTION sync_session_participants() SECURITY INVOKER;
--> statement-breakpoint
ALTER FUNCTION create_training_session_with_members(uuid, uuid, timestamptz, timestamptz, uuid, text, text) SECURITY INVOKER;
--> statement-breakpoint
DO $$
DECLARE
  v_fn regprocedure;
BEGIN
  FOR v_fn IN SELECT p.oid FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace LOOP
    EXECUTE format('ALTER FUNCTION %s RESET search_path', v_fn);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM authenticated, service_role', v_fn);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', v_fn);
  END LOOP;
END
$$;
