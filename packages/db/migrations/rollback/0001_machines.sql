-- Rollback of 0001_machines. Refused by PostgreSQL (and so by the migrator, which changes nothing then)
-- while 0002 is still applied, since training_sessions.machine_id references this table.
-- 0002's rollback kept each session's machine by machine id, and those ids go with this table: a later
-- migrate creates new machines, which they would never match. So each session's machine is kept by its
-- number instead, in gym_migrations.training_sessions_machine_numbers, which 0011_restore_session_machines
-- reads when the history is migrated up again (sessions on Machine 1 need no entry: every session starts
-- there). An entry left by an earlier rollback that no migrate has read yet wins: that session has not been
-- put back on its machine since.
DO $$
DECLARE
  r record;
BEGIN
  IF to_regclass('gym_migrations.training_sessions_us002_machine_archive') IS NULL THEN
    RETURN;
  END IF;
  CREATE TABLE IF NOT EXISTS gym_migrations.training_sessions_machine_numbers (
    session_id uuid PRIMARY KEY,
    machine_number integer NOT NULL
  );
  INSERT INTO gym_migrations.training_sessions_machine_numbers (session_id, machine_number)
  SELECT a.session_id, m.machine_number
    FROM gym_migrations.training_sessions_us002_machine_archive a JOIN machines m ON m.id = a.machine_id
   WHERE m.machine_number <> 1
  ON CONFLICT (session_id) DO NOTHING;
  -- Migration-owned tables: no privilege for anyone but their owner, whatever default privileges grant.
  REVOKE ALL ON gym_migrations.training_sessions_machine_numbers FROM PUBLIC;
  FOR r IN SELECT DISTINCT a.grantee::regrole::text AS grantee
             FROM pg_class c, aclexplode(c.relacl) a
            WHERE c.oid = 'gym_migrations.training_sessions_machine_numbers'::regclass
              AND a.grantee <> c.relowner AND a.grantee <> 0 LOOP
    EXECUTE format('REVOKE ALL ON gym_migrations.training_sessions_machine_numbers FROM %s', r.grantee);
  END LOOP;
END
$$;
--> statement-breakpoint
DROP TABLE IF EXISTS gym_migrations.training_sessions_us002_machine_archive;
--> statement-breakpoint
DO $$
BEGIN
  IF to_regnamespace('gym_migrations') IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = to_regnamespace('gym_migrations'))
     AND NOT EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = to_regnamespace('gym_migrations')) THEN
    DROP SCHEMA gym_migrations;
  END IF;
END
$$;
--> statement-breakpoint
DROP TABLE IF EXISTS machines;
