-- migrator: no-transaction
-- Hand patch of what drizzle-kit generated (trainer_id DROP NOT NULL; ADD COLUMN machine_id uuid NOT NULL; ADD
-- CONSTRAINT fk; CREATE INDEX), which cannot ship as is:
--   * ADD COLUMN ... NOT NULL without a default fails on any table that has rows;
--   * run in one transaction, the plain CREATE INDEX and the FK check scan the whole table under
--     ACCESS EXCLUSIVE, blocking every query on training_sessions for seconds per million rows.
-- US-002's expand step, run before the new app is rolled out (pre-deploy): it only adds. max_participants and
-- location stay, so the old app keeps working while both versions run; 0004_training_sessions_contract drops
-- them once the old app is gone. machine_id keeps Machine 1 as its default until then, so the old app's
-- INSERTs (which do not name it) still succeed.
-- This file runs statement by statement (first line), so that CREATE INDEX CONCURRENTLY is possible. Every
-- statement checks the catalog before it acts, so the file can be run again (psql -f, or the migrator after a
-- kill) and changes nothing the second time, also after 0003 and 0004. ACCESS EXCLUSIVE is only taken for
-- catalog-only steps, each bounded by lock_timeout.
-- lock_timeout is set just below with set_config, only when none is set yet, so that the migrator's
-- --lock-timeout wins and psql -f still gets a bound; squawk only recognises a plain SET. There is no
-- statement_timeout on purpose: VALIDATE and CREATE INDEX CONCURRENTLY run long and block nobody.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- No transaction is the point of this file (first line): each statement is guarded and safe to rerun.
-- squawk-ignore-file prefer-robust-stmts
-- drizzle-kit migrate and drizzle-orm's migrate() run every pending file inside one transaction, where this
-- file cannot work (CREATE INDEX CONCURRENTLY): say so in one line, before anything else runs. In autocommit
-- (the migrator, psql -f) a statement's now() is its own start time; inside a transaction block it is earlier.
DO $$ BEGIN IF now() <> statement_timestamp() THEN RAISE EXCEPTION '0002_training_sessions_machines cannot run inside a transaction (drizzle-kit migrate and drizzle-orm migrate() run migrations that way); apply this history with pnpm db:migrate' USING ERRCODE = 'GYM05'; END IF; END $$;
--> statement-breakpoint
SELECT set_config('lock_timeout', '2s', false) WHERE current_setting('lock_timeout') IN ('0', '0ms');
--> statement-breakpoint
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM machines WHERE machine_number = 1) THEN
    RAISE EXCEPTION 'Machine 1 is missing from the machines table, so existing training sessions have no machine to move to'
      USING ERRCODE = 'GYM01',
            HINT = 'Insert it (INSERT INTO machines (machine_number, name) VALUES (1, ''Machine 1'')) and run the migration again.';
  END IF;
END
$$;
--> statement-breakpoint
-- A constant default is a catalog change since PostgreSQL 11: no rewrite, no backfill, every existing row
-- reads Machine 1. ACCESS EXCLUSIVE is held for milliseconds. The default stays until the contract step:
-- the old app inserts sessions without machine_id, and they go to Machine 1 as the story says.
DO $$
DECLARE
  v_machine_1 uuid;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = 'training_sessions' AND column_name = 'machine_id') THEN
    SELECT id INTO STRICT v_machine_1 FROM machines WHERE machine_number = 1;
    EXECUTE format('ALTER TABLE training_sessions ADD COLUMN machine_id uuid NOT NULL DEFAULT %L', v_machine_1);
  END IF;
END
$$;
--> statement-breakpoint
-- After a rollback of this migration, gym_migrations.training_sessions_us002_machine_archive holds every
-- session that was not on Machine 1. Put those sessions back on their machines, in committed batches so that
-- no app query waits on a row lock for longer than one batch, then drop the archive.
DO $$
DECLARE
  v_step constant integer := 5000;
  v_last uuid := '00000000-0000-0000-0000-000000000000';
  v_seen bigint;
  v_rows bigint;
  v_done bigint := 0;
  v_started timestamptz := clock_timestamp();
BEGIN
  IF to_regclass('gym_migrations.training_sessions_us002_machine_archive') IS NULL THEN
    RETURN;
  END IF;
  LOOP
    PERFORM set_config('gym.preserve_updated_at', 'on', true);
    WITH batch AS (
      SELECT session_id, machine_id FROM gym_migrations.training_sessions_us002_machine_archive
       WHERE session_id > v_last ORDER BY session_id LIMIT v_step
    ), moved AS (
      UPDATE training_sessions t SET machine_id = b.machine_id
        FROM batch b
       WHERE t.id = b.session_id
         AND t.machine_id IS DISTINCT FROM b.machine_id
         AND EXISTS (SELECT 1 FROM machines m WHERE m.id = b.machine_id)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM batch), (SELECT max(session_id::text)::uuid FROM batch), (SELECT count(*) FROM moved)
      INTO v_seen, v_last, v_rows;
    EXIT WHEN v_seen = 0;
    v_done := v_done + v_rows;
    COMMIT;
    RAISE NOTICE 'progress restore-machines rows=% rate=%/s', v_done,
      round(v_done / greatest(extract(epoch FROM clock_timestamp() - v_started), 0.001));
  END LOOP;
  SELECT count(*) INTO v_rows FROM gym_migrations.training_sessions_us002_machine_archive a
   WHERE NOT EXISTS (SELECT 1 FROM machines m WHERE m.id = a.machine_id);
  IF v_rows > 0 THEN
    RAISE WARNING '% session(s) were on a machine that no longer exists and stay on Machine 1', v_rows;
  END IF;
  DROP TABLE gym_migrations.training_sessions_us002_machine_archive;
END
$$;
--> statement-breakpoint
-- NOT VALID makes adding the FK a catalog change; VALIDATE then scans under SHARE UPDATE EXCLUSIVE, which
-- blocks no reads and no writes.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                  WHERE conrelid = 'training_sessions'::regclass AND conname = 'training_sessions_machine_id_machines_id_fk') THEN
    ALTER TABLE training_sessions ADD CONSTRAINT training_sessions_machine_id_machines_id_fk
      FOREIGN KEY (machine_id) REFERENCES machines(id) ON DELETE RESTRICT ON UPDATE NO ACTION NOT VALID;
  END IF;
END
$$;
--> statement-breakpoint
ALTER TABLE training_sessions VALIDATE CONSTRAINT training_sessions_machine_id_machines_id_fk;
--> statement-breakpoint
-- A CREATE INDEX CONCURRENTLY that was interrupted leaves an INVALID index behind, which IF NOT EXISTS would
-- then accept as done. Drop such a leftover first (dropping an index that is not in use is a catalog change).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('idx_training_sessions_machine_id') AND NOT indisvalid) THEN
    RAISE NOTICE 'dropping the INVALID index idx_training_sessions_machine_id left by an interrupted run';
    DROP INDEX idx_training_sessions_machine_id;
  END IF;
END
$$;
--> statement-breakpoint
-- A concurrent build waits, as lock waits, for every older transaction in the database, and blocks nobody
-- meanwhile; under lock_timeout one long report would cancel it and leave an INVALID index. So the bound
-- is lifted for this statement only (for psql -f; the migrator does the same for every CONCURRENTLY).
SELECT set_config('gym.lock_timeout_outside_index_build', current_setting('lock_timeout'), false),
       set_config('lock_timeout', '0', false);
--> statement-breakpoint
CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_training_sessions_machine_id" ON "training_sessions" USING btree ("machine_id","scheduled_start");
--> statement-breakpoint
SELECT set_config('lock_timeout', current_setting('gym.lock_timeout_outside_index_build'), false);
--> statement-breakpoint
-- US-002 AC-2: sessions are booked first and get a trainer when completed.
-- squawk-ignore ban-drop-not-null
ALTER TABLE training_sessions ALTER COLUMN trainer_id DROP NOT NULL;
--> statement-breakpoint
-- The three views keep every column the old app reads, in the same order (CREATE OR REPLACE VIEW can only
-- append), and gain machine_id at the end. Sessions without a trainer, which the new app may create now, are
-- listed too (LEFT JOIN) where the final views list them. Skipped once 0004 has dropped the old columns, so
-- that running this file again does not put back the expand-step views.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = 'training_sessions' AND column_name = 'location') THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = 'training_sessions_calendar' AND column_name = 'machine_id') THEN
    CREATE OR REPLACE VIEW training_sessions_calendar AS
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
                      WHERE b.session_id = ts.id), '[]'::json) AS participants,
           ts.machine_id
      FROM training_sessions ts
      LEFT JOIN trainers t ON t.id = ts.trainer_id;
  END IF;

  CREATE OR REPLACE VIEW trainer_session_history AS
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

  CREATE OR REPLACE VIEW member_session_history AS
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
END
$$;
--> statement-breakpoint
COMMENT ON COLUMN training_sessions.machine_id IS 'Machine assigned to this session (1, 2, or 3)';
--> statement-breakpoint
COMMENT ON COLUMN training_sessions.trainer_id IS 'Trainer assigned to session (optional until completion)';
--> statement-breakpoint
-- The migration is done only when the FK is validated and the index is valid; a run that was cut short
-- must not be recorded as applied.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'training_sessions_machine_id_machines_id_fk' AND NOT convalidated)
     OR NOT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('idx_training_sessions_machine_id') AND indisvalid) THEN
    RAISE EXCEPTION 'training_sessions is half migrated: the machine FK is not validated or its index is not valid'
      USING ERRCODE = 'GYM04', HINT = 'Run the migration again; every step is safe to repeat.';
  END IF;
END
$$;
