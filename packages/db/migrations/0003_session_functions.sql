-- Hand-written (drizzle-kit generate --custom): US-003 changes only functions and views, which drizzle-kit
-- does not model. Unlike the story's own SQL, parameters without defaults come first, nothing reads the
-- dropped location column, and bad calls raise real errors with a SQLSTATE instead of returning
-- {success:false}.
-- US-003's expand step, run before the new app is rolled out (pre-deploy): the new booking function is added
-- beside the old one (a different signature is a different function), and the calendar view gains the
-- machine's columns while it keeps the old ones. 0004_training_sessions_contract drops the old function, the
-- old columns and check_trainer_availability once the old app is gone.
-- The migrator sets lock_timeout for every migration (SET LOCAL, --lock-timeout) and retries on
-- 55P03; a statement_timeout would only cut short legitimate work.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
CREATE OR REPLACE FUNCTION create_training_session_with_members(
  p_machine_id uuid,
  p_member_id uuid,
  p_scheduled_start timestamptz,
  p_scheduled_end timestamptz,
  p_trainer_id uuid DEFAULT NULL,
  p_session_type text DEFAULT NULL,
  p_notes text DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql AS $$
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
-- The old columns stay where the old app reads them (CREATE OR REPLACE VIEW can only append); they take the
-- new meaning already ('Unassigned' without a trainer, current_participants counted from confirmed bookings),
-- and the machine's columns come last. Skipped once 0004 has dropped the old columns, so that running this
-- file again changes nothing.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = 'training_sessions' AND column_name = 'location') THEN
    RETURN;
  END IF;
  CREATE OR REPLACE VIEW training_sessions_calendar AS
  SELECT ts.id,
         ts.trainer_id,
         coalesce(nullif(concat_ws(' ', t.first_name, t.last_name), ''), 'Unassigned') AS trainer_name,
         ts.scheduled_start,
         ts.scheduled_end,
         ts.status,
         ts.location,
         ts.max_participants,
         (SELECT count(*) FROM training_session_members b
           WHERE b.session_id = ts.id AND b.booking_status = 'confirmed')::integer AS current_participants,
         ts.session_type,
         ts.notes,
         coalesce((SELECT json_agg(json_build_object('member_id', m.id,
                                                     'name', concat_ws(' ', m.first_name, m.last_name),
                                                     'booking_status', b.booking_status) ORDER BY b.created_at)
                     FROM training_session_members b JOIN members m ON m.id = b.member_id
                    WHERE b.session_id = ts.id), '[]'::json) AS participants,
         ts.machine_id,
         mc.machine_number,
         mc.name AS machine_name,
         mc.is_available AS machine_available
    FROM training_sessions ts
    JOIN machines mc ON mc.id = ts.machine_id
    LEFT JOIN trainers t ON t.id = ts.trainer_id;
END
$$;
