-- Rollback of 0001_machines. Refused by PostgreSQL (and so by the migrator, which changes nothing then)
-- while 0002 is still applied, since training_sessions.machine_id references this table.
-- The machine assignments kept by 0002's rollback name machines that go with this table: a later migrate
-- creates new ones, which those ids would never match. So they go too, and with them the migrations' own
-- schema once it holds nothing else: rolling everything back leaves an empty database.
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
