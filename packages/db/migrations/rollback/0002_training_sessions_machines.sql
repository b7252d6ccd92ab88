-- Rollback of 0002_training_sessions_machines. Runs in one transaction: if it refuses or fails, nothing changes.
-- It puts back max_participants, location and trainer_id NOT NULL with the values archived by the up migration,
-- and keeps each session's machine in training_sessions_us002_machine_archive so that migrating up again puts
-- every session back on the same machine. Restoring updates rows under ACCESS EXCLUSIVE: a rollback is an
-- incident tool, and atomicity matters more here than lock time.
DO $$
DECLARE
  v_orphans bigint;
BEGIN
  SELECT count(*) INTO v_orphans FROM training_sessions WHERE trainer_id IS NULL;
  IF v_orphans > 0 THEN
    RAISE EXCEPTION 'cannot roll back 0002_training_sessions_machines: % training session(s) have no trainer, and the old schema requires one', v_orphans
      USING ERRCODE = 'GYM02',
            HINT = 'Assign a trainer to them (SELECT id FROM training_sessions WHERE trainer_id IS NULL) or delete them, then roll back again.';
  END IF;
END
$$;
--> statement-breakpoint
SELECT set_config('gym.preserve_updated_at', 'on', true);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS training_sessions_us002_machine_archive (
  session_id uuid PRIMARY KEY,
  machine_id uuid NOT NULL
);
--> statement-breakpoint
TRUNCATE training_sessions_us002_machine_archive;
--> statement-breakpoint
-- Sessions on Machine 1 need no entry: migrating up puts every session on Machine 1 first.
INSERT INTO training_sessions_us002_machine_archive (session_id, machine_id)
SELECT ts.id, ts.machine_id FROM training_sessions ts
 WHERE ts.machine_id IS DISTINCT FROM (SELECT id FROM machines WHERE machine_number = 1);
--> statement-breakpoint
DROP VIEW IF EXISTS training_sessions_calendar, trainer_session_history, member_session_history;
--> statement-breakpoint
DROP FUNCTION IF EXISTS create_training_session_with_members(uuid, uuid, timestamptz, timestamptz, uuid[], text, text);
--> statement-breakpoint
ALTER TABLE training_sessions
  DROP COLUMN machine_id,
  ADD COLUMN max_participants integer DEFAULT 1,
  ADD COLUMN location text;
--> statement-breakpoint
-- The archive is a log: a session's values are those of its newest 'trigger' row, else of its 'copy' row.
-- Sessions created after the migration have no row and keep the column defaults (1 and NULL).
UPDATE training_sessions ts
   SET max_participants = a.max_participants, location = a.location
  FROM (SELECT DISTINCT ON (session_id) session_id, max_participants, location
          FROM training_sessions_us002_archive
         ORDER BY session_id, captured_by = 'trigger' DESC, archived_at DESC) a
 WHERE a.session_id = ts.id
   AND (a.max_participants IS DISTINCT FROM 1 OR a.location IS NOT NULL);
--> statement-breakpoint
ALTER TABLE training_sessions
  ADD CONSTRAINT training_sessions_max_participants_check CHECK (max_participants > 0),
  ALTER COLUMN trainer_id SET NOT NULL;
--> statement-breakpoint
COMMENT ON COLUMN training_sessions.trainer_id IS NULL;
--> statement-breakpoint
DROP TABLE training_sessions_us002_archive;
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
       concat_ws(' ', t.first_name, t.last_name) AS trainer_name,
       ts.scheduled_start,
       ts.scheduled_end,
       ts.status,
       ts.location,
       ts.max_participants,
       ts.current_participants,
       ts.session_type,
       ts.notes,
       coalesce((SELECT json_agg(json_build_object('member_id', m.id,
                                                   'name', concat_ws(' ', m.first_name, m.last_name),
                                                   'booking_status', b.booking_status) ORDER BY b.created_at)
                   FROM training_session_members b JOIN members m ON m.id = b.member_id
                  WHERE b.session_id = ts.id), '[]'::json) AS participants
  FROM training_sessions ts
  JOIN trainers t ON t.id = ts.trainer_id;
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
         WHERE b.session_id = ts.id AND b.booking_status IN ('confirmed', 'attended')) AS participant_count
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
       concat_ws(' ', t.first_name, t.last_name) AS trainer_name
  FROM training_session_members b
  JOIN training_sessions ts ON ts.id = b.session_id
  JOIN trainers t ON t.id = ts.trainer_id;
