-- migrator: no-transaction (CREATE INDEX CONCURRENTLY, and VALIDATE in a step of its own)
-- Hand patch of what drizzle-kit generated (two indexes on session_machine_moves, the unique index of one
-- confirmed booking per session, the finite-times CHECK), which cannot ship as is: a plain CREATE INDEX blocks
-- writes for its whole build, and a plain CHECK scans training_sessions under ACCESS EXCLUSIVE. So the indexes
-- are built CONCURRENTLY (after dropping an INVALID leftover of an interrupted run), the CHECK is added NOT
-- VALID then VALIDATEd, and old rows that either would refuse are named first, before anything changes.
-- Why a unique index when 0009's trigger already refuses a second confirmed booking: the trigger counts with
-- its own snapshot, and the index holds whatever the isolation level or the path of the write.
-- Pre-deploy: it only refuses what the business already forbade (US-002: one member per session).
-- Every statement checks the catalog before it acts, so the file can run again (psql -f, or the migrator
-- after a kill) and changes nothing the second time. lock_timeout is set just below only when none is set, so
-- that the migrator's --lock-timeout wins (squawk only recognises a plain SET). No statement_timeout:
-- VALIDATE and CREATE INDEX CONCURRENTLY run long and block nobody.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- No transaction is the point of this file (first line): each statement is guarded and safe to rerun.
-- squawk-ignore-file prefer-robust-stmts
DO $$ BEGIN IF now() <> statement_timestamp() THEN RAISE EXCEPTION '0010_booking_integrity cannot run inside a transaction (drizzle-kit migrate and drizzle-orm migrate() run migrations that way); apply this history with pnpm db:migrate' USING ERRCODE = 'GYM05'; END IF; END $$;
--> statement-breakpoint
SELECT set_config('lock_timeout', '2s', false) WHERE current_setting('lock_timeout') IN ('0', '0ms');
--> statement-breakpoint
-- Old rows that the new rules would refuse: named (a few ids and the count) before anything changes, with the
-- fix. Reads, under no lock but ACCESS SHARE.
DO $$
DECLARE
  v_count bigint;
  v_ids text;
BEGIN
  SELECT count(*), string_agg(id::text, ', ') FILTER (WHERE n <= 5) INTO v_count, v_ids
    FROM (SELECT id, row_number() OVER (ORDER BY scheduled_start, id) AS n FROM training_sessions
           WHERE NOT (isfinite(scheduled_start) AND isfinite(scheduled_end))) bad;
  IF v_count > 0 THEN
    RAISE EXCEPTION '% training session(s) start or end at infinity (%), which the new CHECK training_sessions_finite_times_check refuses; nothing was changed', v_count, v_ids
      USING ERRCODE = 'GYM07',
            HINT = 'Give them real times or cancel and delete them (SELECT id, scheduled_start, scheduled_end FROM training_sessions WHERE NOT (isfinite(scheduled_start) AND isfinite(scheduled_end))), then run the migration again.';
  END IF;
  SELECT count(*), string_agg(session_id::text || ' (' || n || ')', ', ') FILTER (WHERE k <= 5) INTO v_count, v_ids
    FROM (SELECT session_id, count(*) AS n, row_number() OVER (ORDER BY session_id) AS k
            FROM training_session_members WHERE booking_status = 'confirmed'
           GROUP BY session_id HAVING count(*) > 1) bad;
  IF v_count > 0 THEN
    RAISE EXCEPTION '% training session(s) have more than one confirmed booking (%), which the new unique index training_session_members_one_confirmed_idx refuses; nothing was changed', v_count, v_ids
      USING ERRCODE = 'GYM07',
            HINT = 'Keep one confirmed booking per session and cancel or move the others (SELECT session_id FROM training_session_members WHERE booking_status = ''confirmed'' GROUP BY session_id HAVING count(*) > 1), then run the migration again.';
  END IF;
END
$$;
--> statement-breakpoint
-- NOT VALID: a catalog change (ACCESS EXCLUSIVE for milliseconds); new rows are checked from here on.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'training_sessions'::regclass
                    AND conname = 'training_sessions_finite_times_check') THEN
    ALTER TABLE training_sessions ADD CONSTRAINT training_sessions_finite_times_check
      CHECK (isfinite(scheduled_start) AND isfinite(scheduled_end)) NOT VALID;
  END IF;
END
$$;
--> statement-breakpoint
-- VALIDATE scans under SHARE UPDATE EXCLUSIVE (blocks no reads, no writes). A bad row written between the check
-- above and ADD CONSTRAINT would make it fail: then the constraint is dropped again (committed) before the
-- error, so that the database is left as it was.
DO $$
DECLARE
  v_failed text;
BEGIN
  BEGIN
    ALTER TABLE training_sessions VALIDATE CONSTRAINT training_sessions_finite_times_check;
  EXCEPTION WHEN check_violation THEN
    v_failed := SQLERRM;
  END;
  IF v_failed IS NOT NULL THEN
    ALTER TABLE training_sessions DROP CONSTRAINT IF EXISTS training_sessions_finite_times_check;
    COMMIT;
    RAISE EXCEPTION 'a training session at infinity was written while the migration ran (%); nothing was changed', v_failed
      USING ERRCODE = 'GYM07', HINT = 'Run the migration again: it names the rows to fix.';
  END IF;
END
$$;
--> statement-breakpoint
-- A CREATE INDEX CONCURRENTLY that was interrupted (or, for the unique one, met a duplicate written meanwhile)
-- leaves an INVALID index behind, which IF NOT EXISTS would then accept as done. Drop such leftovers first
-- (dropping an index that is not in use is a catalog change).
DO $$
DECLARE
  v_index text;
BEGIN
  FOREACH v_index IN ARRAY ARRAY['training_session_members_one_confirmed_idx', 'session_machine_moves_from_machine_id_idx',
                                 'session_machine_moves_to_machine_id_idx'] LOOP
    IF EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(v_index) AND NOT indisvalid) THEN
      RAISE NOTICE 'dropping the INVALID index % left by an interrupted run', v_index;
      EXECUTE format('DROP INDEX %I', v_index);
    END IF;
  END LOOP;
END
$$;
--> statement-breakpoint
-- A concurrent build waits for every older transaction and blocks nobody meanwhile; under lock_timeout one long
-- report would cancel it, so the bound is lifted for these statements only (as in 0002 and 0007).
SELECT set_config('gym.lock_timeout_outside_index_build', current_setting('lock_timeout'), false),
       set_config('lock_timeout', '0', false);
--> statement-breakpoint
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "training_session_members_one_confirmed_idx" ON "training_session_members" USING btree ("session_id") WHERE "training_session_members"."booking_status" = 'confirmed';
--> statement-breakpoint
CREATE INDEX CONCURRENTLY IF NOT EXISTS "session_machine_moves_from_machine_id_idx" ON "session_machine_moves" USING btree ("from_machine_id");
--> statement-breakpoint
CREATE INDEX CONCURRENTLY IF NOT EXISTS "session_machine_moves_to_machine_id_idx" ON "session_machine_moves" USING btree ("to_machine_id");
--> statement-breakpoint
SELECT set_config('lock_timeout', current_setting('gym.lock_timeout_outside_index_build'), false);
--> statement-breakpoint
-- Done only when the CHECK is validated and every index is valid; a run cut short must not be recorded.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'training_sessions'::regclass
                AND conname = 'training_sessions_finite_times_check' AND NOT convalidated)
     OR EXISTS (SELECT 1 FROM unnest(ARRAY['training_session_members_one_confirmed_idx', 'session_machine_moves_from_machine_id_idx',
                                           'session_machine_moves_to_machine_id_idx']) i(name)
                 WHERE NOT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(i.name) AND indisvalid)) THEN
    RAISE EXCEPTION 'the booking rules are half migrated: training_sessions_finite_times_check is not validated or an index is not valid'
      USING ERRCODE = 'GYM04', HINT = 'Run the migration again; every step is safe to repeat.';
  END IF;
END
$$;
