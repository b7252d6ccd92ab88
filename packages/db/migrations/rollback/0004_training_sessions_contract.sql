-- Rollback of 0004_training_sessions_contract. Runs in one transaction: if it fails, nothing changes. It puts
-- back max_participants and location with the values archived by the contract step (sessions written by the
-- old app while both versions ran included), machine_id's default (Machine 1), the old booking function,
-- check_trainer_availability and the views of the expand step, so that the old app works again. Restoring
-- updates rows under ACCESS EXCLUSIVE: a rollback is an incident tool, and atomicity matters more here than
-- lock time.
SELECT set_config('gym.preserve_updated_at', 'on', true);
--> statement-breakpoint
DROP VIEW IF EXISTS training_sessions_calendar, trainer_session_history, member_session_history;
--> statement-breakpoint
ALTER TABLE training_sessions
  ADD COLUMN max_participants integer DEFAULT 1,
  ADD COLUMN location text;
--> statement-breakpoint
-- The archive is a log: a session's values are those of its newest 'trigger' row, else of its 'copy' row.
-- Sessions created after the contract step have no row and keep the column defaults (1 and NULL).
UPDATE training_sessions ts
   SET max_participants = a.max_participants, location = a.location
  FROM (SELECT DISTINCT ON (session_id) session_id, max_participants, location
          FROM gym_migrations.training_sessions_us002_archive
         ORDER BY session_id, captured_by = 'trigger' DESC, archived_at DESC) a
 WHERE a.session_id = ts.id
   AND (a.max_participants IS DISTINCT FROM 1 OR a.location IS NOT NULL);
--> statement-breakpoint
ALTER TABLE training_sessions
  ADD CONSTRAINT training_sessions_max_participants_check CHECK (max_participants > 0);
--> statement-breakpoint
-- The old app inserts sessions without machine_id: they go to Machine 1 again, as in the expand step.
DO $$
DECLARE
  v_machine_1 uuid;
BEGIN
  SELECT id INTO v_machine_1 FROM machines WHERE machine_number = 1;
  IF v_machine_1 IS NOT NULL THEN
    EXECUTE format('ALTER TABLE training_sessions ALTER COLUMN machine_id SET DEFAULT %L', v_machine_1);
  END IF;
END
$$;
--> statement-breakpoint
DROP TABLE gym_migrations.training_sessions_us002_archive;
--> statement-breakpoint
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = to_regnamespace('gym_migrations'))
     AND NOT EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = to_regnamespace('gym_migrations')) THEN
    DROP SCHEMA IF EXISTS gym_migrations;
  END IF;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION enforce_session_capacity() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_capacity integer;
  v_taken integer;
BEGIN
  IF NEW.booking_status <> 'confirmed' OR (TG_OP = 'UPDATE' AND OLD.booking_status = 'confirmed') THEN
    RETURN NEW;
  END IF;
  -- Lock the session row so that two concurrent bookings cannot both take the last place.
  SELECT coalesce(max_participants, 1) INTO v_capacity FROM training_sessions WHERE id = NEW.session_id FOR UPDATE;
  SELECT count(*) INTO v_taken FROM training_session_members
    WHERE session_id = NEW.session_id AND booking_status = 'confirmed';
  IF v_taken >= v_capacity THEN
    RAISE EXCEPTION 'training session % is full (% of % places taken)', NEW.session_id, v_taken, v_capacity
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
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
--> statement-breakpoint
CREATE OR REPLACE FUNCTION create_training_session_with_members(
  p_trainer_id uuid,
  p_scheduled_start timestamptz,
  p_scheduled_end timestamptz,
  p_member_ids uuid[],
  p_location text DEFAULT NULL,
  p_max_participants integer DEFAULT 1,
  p_session_type text DEFAULT NULL,
  p_notes text DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_session_id uuid;
  v_member_id uuid;
BEGIN
  INSERT INTO training_sessions (trainer_id, scheduled_start, scheduled_end, location, max_participants, session_type, notes)
  VALUES (p_trainer_id, p_scheduled_start, p_scheduled_end, p_location, p_max_participants, p_session_type, p_notes)
  RETURNING id INTO v_session_id;
  FOREACH v_member_id IN ARRAY coalesce(p_member_ids, '{}'::uuid[]) LOOP
    INSERT INTO training_session_members (session_id, member_id) VALUES (v_session_id, v_member_id);
  END LOOP;
  RETURN v_session_id;
END
$$;
--> statement-breakpoint
CREATE VIEW training_sessions_calendar AS
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
--> statement-breakpoint
CREATE VIEW trainer_session_history AS
SELECT t.id AS trainer_id,
       concat_ws(' ', t.first_name, t.last_name) AS trainer_name,
       ts.id AS session_id,
       ts.scheduled_start,
       ts.scheduled_end,
       ts.status,
       ts.location,
       ts.session_type,
       ts.max_participants,
       (SELECT count(*) FROM training_session_members b
         WHERE b.session_id = ts.id AND b.booking_status IN ('confirmed', 'attended')) AS participant_count,
       ts.machine_id
  FROM training_sessions ts
  JOIN trainers t ON t.id = ts.trainer_id;
--> statement-breakpoint
CREATE VIEW member_session_history AS
SELECT b.member_id,
       b.session_id,
       b.booking_status,
       b.created_at AS booked_at,
       ts.scheduled_start,
       ts.scheduled_end,
       ts.status AS session_status,
       ts.location,
       ts.session_type,
       ts.trainer_id,
       concat_ws(' ', t.first_name, t.last_name) AS trainer_name,
       ts.machine_id
  FROM training_session_members b
  JOIN training_sessions ts ON ts.id = b.session_id
  LEFT JOIN trainers t ON t.id = ts.trainer_id;
