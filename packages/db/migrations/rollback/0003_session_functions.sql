-- Rollback of 0003_session_functions: puts back 0002's booking function and calendar view, and the
-- trainer-availability helper that US-003 dropped.
DROP FUNCTION IF EXISTS create_training_session_with_members(uuid, uuid, timestamptz, timestamptz, uuid, text, text);
--> statement-breakpoint
CREATE FUNCTION create_training_session_with_members(
  p_machine_id uuid,
  p_trainer_id uuid,
  p_scheduled_start timestamptz,
  p_scheduled_end timestamptz,
  p_member_ids uuid[],
  p_session_type text DEFAULT NULL,
  p_notes text DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_session_id uuid;
  v_member_id uuid;
BEGIN
  INSERT INTO training_sessions (machine_id, trainer_id, scheduled_start, scheduled_end, session_type, notes)
  VALUES (p_machine_id, p_trainer_id, p_scheduled_start, p_scheduled_end, p_session_type, p_notes)
  RETURNING id INTO v_session_id;
  FOREACH v_member_id IN ARRAY coalesce(p_member_ids, '{}'::uuid[]) LOOP
    INSERT INTO training_session_members (session_id, member_id) VALUES (v_session_id, v_member_id);
  END LOOP;
  RETURN v_session_id;
END
$$;
--> statement-breakpoint
DROP VIEW IF EXISTS training_sessions_calendar;
--> statement-breakpoint
CREATE VIEW training_sessions_calendar AS
SELECT ts.id,
       ts.machine_id,
       ts.trainer_id,
       concat_ws(' ', t.first_name, t.last_name) AS trainer_name,
       ts.scheduled_start,
       ts.scheduled_end,
       ts.status,
       ts.current_participants,
       ts.session_type,
       ts.notes,
       coalesce((SELECT json_agg(json_build_object('member_id', m.id,
                                                   'name', concat_ws(' ', m.first_name, m.last_name),
                                                   'booking_status', b.booking_status) ORDER BY b.created_at)
                   FROM training_session_members b JOIN members m ON m.id = b.member_id
                  WHERE b.session_id = ts.id), '[]'::json) AS participants
  FROM training_sessions ts
  LEFT JOIN trainers t ON t.id = ts.trainer_id;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION check_trainer_availability(
  p_trainer_id uuid,
  p_start timestamptz,
  p_end timestamptz,
  p_exclude_session_id uuid DEFAULT NULL
) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT NOT EXISTS (
    SELECT 1 FROM training_sessions
     WHERE trainer_id = p_trainer_id
       AND status <> 'cancelled'
       AND id IS DISTINCT FROM p_exclude_session_id
       AND tstzrange(scheduled_start, scheduled_end) && tstzrange(p_start, p_end)
  )
$$;
