-- Rollback of 0002_training_sessions_machines (the expand step of US-002). Runs in one transaction: if it
-- refuses or fails, nothing changes. The expand step only added, so nothing needs restoring: machine_id (with
-- its FK and index) goes, trainer_id is NOT NULL again, the three views lose machine_id. Each session's machine
-- (other than Machine 1) is kept in gym_migrations.training_sessions_us002_machine_archive, so that migrating
-- up again puts every session back on the same machine.
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
-- Migration-owned tables live outside public, with no privilege for anyone but their owner.
CREATE SCHEMA IF NOT EXISTS gym_migrations;
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS gym_migrations.training_sessions_us002_machine_archive (
  session_id uuid PRIMARY KEY,
  machine_id uuid NOT NULL
);
--> statement-breakpoint
DO $$
DECLARE
  r record;
BEGIN
  REVOKE ALL ON SCHEMA gym_migrations FROM PUBLIC;
  REVOKE ALL ON ALL TABLES IN SCHEMA gym_migrations FROM PUBLIC;
  FOR r IN
    SELECT DISTINCT 'SCHEMA gym_migrations' AS what, a.grantee::regrole::text AS grantee
      FROM pg_namespace n, aclexplode(n.nspacl) a
     WHERE n.nspname = 'gym_migrations' AND a.grantee <> n.nspowner AND a.grantee <> 0
    UNION
    SELECT DISTINCT 'TABLE ' || c.oid::regclass::text, a.grantee::regrole::text
      FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.relnamespace = 'gym_migrations'::regnamespace AND a.grantee <> c.relowner AND a.grantee <> 0
  LOOP
    EXECUTE format('REVOKE ALL ON %s FROM %s', r.what, r.grantee);
  END LOOP;
END
$$;
--> statement-breakpoint
TRUNCATE gym_migrations.training_sessions_us002_machine_archive;
--> statement-breakpoint
-- Sessions on Machine 1 need no entry: migrating up puts every session on Machine 1 first.
INSERT INTO gym_migrations.training_sessions_us002_machine_archive (session_id, machine_id)
SELECT ts.id, ts.machine_id FROM training_sessions ts
 WHERE ts.machine_id IS DISTINCT FROM (SELECT id FROM machines WHERE machine_number = 1);
--> statement-breakpoint
DROP VIEW IF EXISTS training_sessions_calendar, trainer_session_history, member_session_history;
--> statement-breakpoint
ALTER TABLE training_sessions DROP COLUMN machine_id;
--> statement-breakpoint
ALTER TABLE training_sessions ALTER COLUMN trainer_id SET NOT NULL;
--> statement-breakpoint
COMMENT ON COLUMN training_sessions.trainer_id IS NULL;
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
