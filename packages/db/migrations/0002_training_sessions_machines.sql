-- migrator: no-transaction
-- Hand patch of what drizzle-kit generated (DROP CONSTRAINT max_participants_check; trainer_id DROP NOT NULL; ADD COLUMN machine_id uuid NOT NULL; ADD CONSTRAINT fk; CREATE INDEX;
-- DROP COLUMN max_participants; DROP COLUMN location), which cannot ship as is:
--   * ADD COLUMN ... NOT NULL without a default fails on any table that has rows;
--   * run in one transaction, the plain CREATE INDEX and the FK check scan the whole table under
--     ACCESS EXCLUSIVE, blocking every query on training_sessions for seconds per million rows;
--   * the DROP COLUMNs lose max_participants and location for good, and fail on the views that read them.
-- This version runs statement by statement (first line), so that CREATE INDEX CONCURRENTLY and committed
-- batches are possible. Every statement checks the catalog before it acts, so the file can be run again
-- (psql -f, or the migrator after a kill) and changes nothing the second time. ACCESS EXCLUSIVE is only
-- taken for catalog-only steps, each bounded by lock_timeout. The archive table is not in the Drizzle schema:
-- it belongs to this migration and its rollback, not to the application.
-- lock_timeout is set just below with set_config, only when none is set yet, so that the migrator's
-- --lock-timeout wins and psql -f still gets a bound; squawk only recognises a plain SET. There is no
-- statement_timeout on purpose: VALIDATE and CREATE INDEX CONCURRENTLY run long and block nobody.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- No transaction is the point of this file (first line): each statement is guarded and safe to rerun.
-- squawk-ignore-file prefer-robust-stmts
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
-- The archive is an append-only log, with no index while it fills: inserting 1M rows into a table with a
-- uuid primary key costs several times more than appending them. A session's archived values are those of
-- its newest 'trigger' row if it has one, else of its 'copy' row (see the rollback).
CREATE TABLE IF NOT EXISTS training_sessions_us002_archive (
  session_id uuid NOT NULL,
  -- max_participants keeps the type of the column it archives.
  -- squawk-ignore prefer-bigint-over-int
  max_participants integer,
  location text,
  captured_by text NOT NULL CHECK (captured_by IN ('copy', 'trigger')),
  archived_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
--> statement-breakpoint
-- While the old columns exist, every insert and every update is logged to the archive as it happens
-- (updates of any column: an UPDATE can move a row to a heap page that the bulk copy below has already
-- read). Creating the trigger waits for writers that started before it, so from here on no change is missed.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = 'training_sessions' AND column_name = 'location') THEN
    CREATE OR REPLACE FUNCTION training_sessions_us002_capture() RETURNS trigger
    LANGUAGE plpgsql AS $f$
    BEGIN
      INSERT INTO training_sessions_us002_archive (session_id, max_participants, location, captured_by)
      VALUES (NEW.id, NEW.max_participants, NEW.location, 'trigger');
      RETURN NULL;
    END
    $f$;
    CREATE OR REPLACE TRIGGER training_sessions_us002_capture
      AFTER INSERT OR UPDATE ON training_sessions
      FOR EACH ROW EXECUTE FUNCTION training_sessions_us002_capture();
  END IF;
END
$$;
--> statement-breakpoint
-- Bulk copy in committed batches of heap pages: sequential reads, progress notices, and no transaction long
-- enough to hold back vacuum. A rerun after an interruption starts the copy over.
DO $$
DECLARE
  v_pages bigint;
  v_step constant bigint := 4096;
  v_from bigint := 0;
  v_rows bigint;
  v_done bigint := 0;
  v_started timestamptz := clock_timestamp();
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = 'training_sessions' AND column_name = 'location') THEN
    RETURN;
  END IF;
  DELETE FROM training_sessions_us002_archive WHERE captured_by = 'copy';
  v_pages := pg_relation_size('training_sessions') / current_setting('block_size')::bigint;
  WHILE v_from < v_pages LOOP
    INSERT INTO training_sessions_us002_archive (session_id, max_participants, location, captured_by)
    SELECT id, max_participants, location, 'copy' FROM training_sessions
     WHERE ctid >= format('(%s,0)', v_from)::tid AND ctid < format('(%s,0)', v_from + v_step)::tid;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    v_done := v_done + v_rows;
    v_from := v_from + v_step;
    COMMIT;
    RAISE NOTICE 'progress archive rows=% pages=%/% rate=%/s', v_done, least(v_from, v_pages), v_pages,
      round(v_done / greatest(extract(epoch FROM clock_timestamp() - v_started), 0.001));
  END LOOP;
END
$$;
--> statement-breakpoint
-- A constant default is a catalog change since PostgreSQL 11: no rewrite, no backfill, every existing row
-- reads Machine 1. ACCESS EXCLUSIVE is held for milliseconds.
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
-- After a rollback of this migration, training_sessions_us002_machine_archive holds every session that was
-- not on Machine 1. Put those sessions back on their machines, in committed batches so that no app query
-- waits on a row lock for longer than one batch, then drop the archive.
DO $$
DECLARE
  v_step constant integer := 5000;
  v_last uuid := '00000000-0000-0000-0000-000000000000';
  v_seen bigint;
  v_rows bigint;
  v_done bigint := 0;
  v_started timestamptz := clock_timestamp();
BEGIN
  IF to_regclass('training_sessions_us002_machine_archive') IS NULL THEN
    RETURN;
  END IF;
  LOOP
    PERFORM set_config('gym.preserve_updated_at', 'on', true);
    WITH batch AS (
      SELECT session_id, machine_id FROM training_sessions_us002_machine_archive
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
  SELECT count(*) INTO v_rows FROM training_sessions_us002_machine_archive a
   WHERE NOT EXISTS (SELECT 1 FROM machines m WHERE m.id = a.machine_id);
  IF v_rows > 0 THEN
    RAISE WARNING '% session(s) were on a machine that no longer exists and stay on Machine 1', v_rows;
  END IF;
  DROP TABLE training_sessions_us002_machine_archive;
END
$$;
--> statement-breakpoint
ALTER TABLE training_sessions ALTER COLUMN machine_id DROP DEFAULT;
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
-- The old columns go in one short transaction together with everything that reads them: the capture
-- trigger, three views, the capacity trigger function and the booking function are dropped and recreated
-- without them. Guarded by the column's existence, so that running this file again after 0003 does not
-- put back 0002's versions of what 0003 replaced.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = 'training_sessions' AND column_name = 'location') THEN
    RETURN;
  END IF;
  DROP TRIGGER IF EXISTS training_sessions_us002_capture ON training_sessions;
  DROP FUNCTION IF EXISTS training_sessions_us002_capture();
  DROP VIEW IF EXISTS training_sessions_calendar, trainer_session_history, member_session_history;
  DROP FUNCTION IF EXISTS create_training_session_with_members(uuid, timestamptz, timestamptz, uuid[], text, integer, text, text);
  ALTER TABLE training_sessions
    DROP CONSTRAINT IF EXISTS training_sessions_max_participants_check,
    DROP COLUMN IF EXISTS max_participants,
    DROP COLUMN IF EXISTS location;

  -- Every session holds one member now (US-002), so the capacity is the constant 1.
  CREATE OR REPLACE FUNCTION enforce_session_capacity() RETURNS trigger
  LANGUAGE plpgsql AS $f$
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

  CREATE FUNCTION create_training_session_with_members(
    p_machine_id uuid,
    p_trainer_id uuid,
    p_scheduled_start timestamptz,
    p_scheduled_end timestamptz,
    p_member_ids uuid[],
    p_session_type text DEFAULT NULL,
    p_notes text DEFAULT NULL
  ) RETURNS uuid
  LANGUAGE plpgsql AS $f$
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
  $f$;

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

  CREATE VIEW trainer_session_history AS
  SELECT t.id AS trainer_id,
         concat_ws(' ', t.first_name, t.last_name) AS trainer_name,
         ts.id AS session_id,
         ts.machine_id,
         ts.scheduled_start,
         ts.scheduled_end,
         ts.status,
         ts.session_type,
         (SELECT count(*) FROM training_session_members b
           WHERE b.session_id = ts.id AND b.booking_status IN ('confirmed', 'attended')) AS participant_count
    FROM training_sessions ts
    JOIN trainers t ON t.id = ts.trainer_id;

  CREATE VIEW member_session_history AS
  SELECT b.member_id,
         b.session_id,
         b.booking_status,
         b.created_at AS booked_at,
         ts.machine_id,
         ts.scheduled_start,
         ts.scheduled_end,
         ts.status AS session_status,
         ts.session_type,
         ts.trainer_id,
         concat_ws(' ', t.first_name, t.last_name) AS trainer_name
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
