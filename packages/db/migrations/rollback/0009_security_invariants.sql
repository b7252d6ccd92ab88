-- Rollback of 0009_security_invariants: the policies, functions and privileges as 0006 to 0008 left them on
-- a database migrated in order (anon still holds nothing: on Supabase that is less than its default
-- privileges, the safe direction); booking_rules, the booking rules, the trainers' column privileges and the
-- rows that serialised bookings go. One transaction: if it fails, nothing changes.
-- booking_rules goes with this rollback: limits an admin set would be lost with it, so it refuses (GYM08) until
-- they are back at their defaults.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM booking_rules
              WHERE (max_slot_minutes, max_days_ahead, max_active_bookings_per_member) IS DISTINCT FROM (120, 28, 8)) THEN
    RAISE EXCEPTION 'cannot roll back 0009_security_invariants: booking_rules holds limits an admin set, and the rollback would lose them'
      USING ERRCODE = 'GYM08',
            HINT = 'Keep 0009, or note the limits and set them back to the defaults first (UPDATE booking_rules SET max_slot_minutes = 120, max_days_ahead = 28, max_active_bookings_per_member = 8); nothing was changed.';
  END IF;
END
$$;
--> statement-breakpoint
DROP POLICY IF EXISTS "machines_read" ON "machines";
--> statement-breakpoint
DROP POLICY IF EXISTS "machines_admin_insert" ON "machines";
--> statement-breakpoint
DROP POLICY IF EXISTS "machines_admin_update" ON "machines";
--> statement-breakpoint
DROP POLICY IF EXISTS "machines_admin_delete" ON "machines";
--> statement-breakpoint
DROP POLICY IF EXISTS "members_read" ON "members";
--> statement-breakpoint
DROP POLICY IF EXISTS "members_admin_insert" ON "members";
--> statement-breakpoint
DROP POLICY IF EXISTS "members_admin_update" ON "members";
--> statement-breakpoint
DROP POLICY IF EXISTS "members_admin_delete" ON "members";
--> statement-breakpoint
DROP POLICY IF EXISTS "trainers_read" ON "trainers";
--> statement-breakpoint
DROP POLICY IF EXISTS "trainers_admin_insert" ON "trainers";
--> statement-breakpoint
DROP POLICY IF EXISTS "trainers_admin_update" ON "trainers";
--> statement-breakpoint
DROP POLICY IF EXISTS "trainers_admin_delete" ON "trainers";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_session_members_read" ON "training_session_members";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_session_members_admin_insert" ON "training_session_members";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_session_members_admin_update" ON "training_session_members";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_session_members_admin_delete" ON "training_session_members";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_sessions_read" ON "training_sessions";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_sessions_update" ON "training_sessions";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_sessions_admin_insert" ON "training_sessions";
--> statement-breakpoint
DROP POLICY IF EXISTS "training_sessions_admin_delete" ON "training_sessions";
--> statement-breakpoint
CREATE POLICY "machines_read_signed_in" ON "machines" AS PERMISSIVE FOR SELECT TO "authenticated" USING ((select auth.uid()) is not null);
--> statement-breakpoint
CREATE POLICY "machines_admin_all" ON "machines" AS PERMISSIVE FOR ALL TO "authenticated" USING ((select gym_private.is_admin())) WITH CHECK ((select gym_private.is_admin()));
--> statement-breakpoint
CREATE POLICY "members_read_self_or_trainer" ON "members" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("members"."auth_user_id" = (select auth.uid()) or "members"."id" in (select gym_private.trainer_member_ids()));
--> statement-breakpoint
CREATE POLICY "members_admin_all" ON "members" AS PERMISSIVE FOR ALL TO "authenticated" USING ((select gym_private.is_admin())) WITH CHECK ((select gym_private.is_admin()));
--> statement-breakpoint
CREATE POLICY "trainers_read_signed_in" ON "trainers" AS PERMISSIVE FOR SELECT TO "authenticated" USING ((select auth.uid()) is not null);
--> statement-breakpoint
CREATE POLICY "trainers_admin_all" ON "trainers" AS PERMISSIVE FOR ALL TO "authenticated" USING ((select gym_private.is_admin())) WITH CHECK ((select gym_private.is_admin()));
--> statement-breakpoint
CREATE POLICY "training_session_members_read_own" ON "training_session_members" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("training_session_members"."member_id" = (select gym_private.current_member_id()) or "training_session_members"."session_id" in (select gym_private.trainer_session_ids()));
--> statement-breakpoint
CREATE POLICY "training_session_members_admin_all" ON "training_session_members" AS PERMISSIVE FOR ALL TO "authenticated" USING ((select gym_private.is_admin())) WITH CHECK ((select gym_private.is_admin()));
--> statement-breakpoint
CREATE POLICY "training_sessions_read_own" ON "training_sessions" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("training_sessions"."trainer_id" = (select gym_private.current_trainer_id()) or "training_sessions"."id" in (select gym_private.member_session_ids()));
--> statement-breakpoint
CREATE POLICY "training_sessions_trainer_update" ON "training_sessions" AS PERMISSIVE FOR UPDATE TO "authenticated" USING ("training_sessions"."trainer_id" = (select gym_private.current_trainer_id())) WITH CHECK ("training_sessions"."trainer_id" = (select gym_private.current_trainer_id()));
--> statement-breakpoint
CREATE POLICY "training_sessions_admin_all" ON "training_sessions" AS PERMISSIVE FOR ALL TO "authenticated" USING ((select gym_private.is_admin())) WITH CHECK ((select gym_private.is_admin()));
--> statement-breakpoint
DROP TABLE IF EXISTS booking_rules;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER training_session_members_enforce_capacity
  BEFORE INSERT OR UPDATE OF booking_status ON training_session_members
  FOR EACH ROW EXECUTE FUNCTION enforce_session_capacity();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION enforce_session_capacity() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $f$
  DECLARE
    v_capacity constant integer := 1;
    v_taken integer;
  BEGIN
    IF NEW.booking_status <> 'confirmed' OR (TG_OP = 'UPDATE' AND OLD.booking_status = 'confirmed') THEN
      RETURN NEW;
    END IF;
    PERFORM 1 FROM training_sessions WHERE id = NEW.session_id FOR UPDATE;
    SELECT count(*) INTO v_taken FROM training_session_members
      WHERE session_id = NEW.session_id AND booking_status = 'confirmed';
    IF v_taken >= v_capacity THEN
      RAISE EXCEPTION 'training session % is full (% of % places taken)', NEW.session_id, v_taken, v_capacity
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END
  $f$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION enforce_session_no_overlap() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_other uuid;
BEGIN
  -- A null or unknown status holds no machine; a range the CHECK refuses is left to the CHECK (BEFORE
  -- triggers run first, and tstzrange would fail on it with a less useful error).
  IF NEW.status IS NULL OR NEW.status NOT IN ('scheduled', 'in_progress') OR NEW.scheduled_end <= NEW.scheduled_start THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status IN ('scheduled', 'in_progress') AND NEW.machine_id = OLD.machine_id
     AND NEW.scheduled_start = OLD.scheduled_start AND NEW.scheduled_end = OLD.scheduled_end THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('training_sessions_no_overlap'), hashtext(NEW.machine_id::text));
  SELECT id INTO v_other FROM training_sessions
   WHERE status IN ('scheduled', 'in_progress')
     AND tstzrange(scheduled_start, scheduled_end, '[)') && tstzrange(NEW.scheduled_start, NEW.scheduled_end, '[)')
     AND machine_id = NEW.machine_id
     AND id <> NEW.id
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'machine % is already booked for part of % to % (session %)', NEW.machine_id,
          NEW.scheduled_start, NEW.scheduled_end, v_other
      USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'training_sessions_no_overlap', TABLE = 'training_sessions',
            HINT = 'Choose another slot or another machine.';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER FUNCTION sync_session_participants() SECURITY DEFINER SET search_path = pg_catalog, public;
--> statement-breakpoint
ALTER FUNCTION count_session_participants() SECURITY DEFINER SET search_path = pg_catalog, public;
--> statement-breakpoint
ALTER FUNCTION update_updated_at_column() SECURITY INVOKER SET search_path = pg_catalog, public;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION create_training_session_with_members(
  p_machine_id uuid,
  p_member_id uuid,
  p_scheduled_start timestamptz,
  p_scheduled_end timestamptz,
  p_trainer_id uuid DEFAULT NULL,
  p_session_type text DEFAULT NULL,
  p_notes text DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_available boolean;
  v_session_id uuid;
BEGIN
  IF p_member_id IS NULL THEN
    RAISE EXCEPTION 'a training session needs exactly one member; p_member_id is null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF p_scheduled_end <= p_scheduled_start THEN
    RAISE EXCEPTION 'a training session must end after it starts (start %, end %)', p_scheduled_start, p_scheduled_end
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- FOR SHARE: the machine cannot be deleted or made unavailable until this booking commits.
  SELECT is_available INTO v_available FROM machines WHERE id = p_machine_id FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'machine % does not exist', p_machine_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF NOT v_available THEN
    RAISE EXCEPTION 'machine % is not available for booking', p_machine_id
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  INSERT INTO training_sessions (machine_id, trainer_id, scheduled_start, scheduled_end, status, session_type, notes)
  VALUES (p_machine_id, p_trainer_id, p_scheduled_start, p_scheduled_end, 'scheduled', p_session_type, p_notes)
  RETURNING id INTO v_session_id;
  INSERT INTO training_session_members (session_id, member_id, booking_status)
  VALUES (v_session_id, p_member_id, 'confirmed');
  RETURN v_session_id;
END
$$;
--> statement-breakpoint
DROP FUNCTION IF EXISTS trainer_contact(uuid);
--> statement-breakpoint
DROP FUNCTION IF EXISTS gym_private.trainer_contact(uuid);
--> statement-breakpoint
DROP FUNCTION IF EXISTS gym_private.book_training_session(uuid, uuid, timestamptz, timestamptz, uuid, text, text);
--> statement-breakpoint
DROP FUNCTION IF EXISTS gym_private.is_studio_user();
--> statement-breakpoint
DROP TABLE IF EXISTS gym_private.booking_serial;
--> statement-breakpoint
-- Privileges as 0006 and 0007 granted them.
DO $$
DECLARE
  v_object text;
  v_role text;
BEGIN
  FOR v_object IN
    SELECT 'TABLE ' || c.oid::regclass::text FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    UNION ALL
    SELECT 'FUNCTION ' || p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace IN ('public'::regnamespace, 'gym_private'::regnamespace)
  LOOP
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', v_object);
    FOREACH v_role IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
      EXECUTE format('REVOKE ALL ON %s FROM %I', v_object, v_role);
    END LOOP;
  END LOOP;
END
$$;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON machines, members, trainers, training_sessions, training_session_members,
  training_sessions_calendar, trainer_session_history, member_session_history TO authenticated;
--> statement-breakpoint
GRANT SELECT ON session_machine_moves, session_conflicts TO authenticated;
--> statement-breakpoint
GRANT ALL ON machines, members, trainers, training_sessions, training_session_members, session_machine_moves,
  training_sessions_calendar, trainer_session_history, member_session_history TO service_role;
--> statement-breakpoint
GRANT SELECT ON session_conflicts TO service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION create_training_session_with_members(uuid, uuid, timestamptz, timestamptz, uuid, text, text),
  gym_private.is_admin(), gym_private.current_member_id(), gym_private.current_trainer_id(),
  gym_private.member_session_ids(), gym_private.trainer_session_ids(), gym_private.trainer_member_ids()
  TO authenticated, service_role;
