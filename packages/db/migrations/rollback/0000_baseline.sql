-- Rollback of 0000_baseline: removes the whole pre-rework schema. Every row in it goes too, by design:
-- rolling back the baseline means "empty database". So does the machine of each session that 0001's
-- rollback kept, and the migrations' schema once it holds nothing else.
DROP TABLE IF EXISTS gym_migrations.training_sessions_machine_numbers;
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
DROP VIEW IF EXISTS member_session_history;
--> statement-breakpoint
DROP VIEW IF EXISTS trainer_session_history;
--> statement-breakpoint
DROP VIEW IF EXISTS training_sessions_calendar;
--> statement-breakpoint
DROP FUNCTION IF EXISTS create_training_session_with_members(uuid, timestamptz, timestamptz, uuid[], text, integer, text, text);
--> statement-breakpoint
DROP FUNCTION IF EXISTS check_trainer_availability(uuid, timestamptz, timestamptz, uuid);
--> statement-breakpoint
DROP TABLE IF EXISTS training_session_members;
--> statement-breakpoint
DROP TABLE IF EXISTS training_sessions;
--> statement-breakpoint
DROP TABLE IF EXISTS members;
--> statement-breakpoint
DROP TABLE IF EXISTS trainers;
--> statement-breakpoint
DROP FUNCTION IF EXISTS sync_session_participants();
--> statement-breakpoint
DROP FUNCTION IF EXISTS enforce_session_capacity();
--> statement-breakpoint
DROP FUNCTION IF EXISTS update_updated_at_column();
