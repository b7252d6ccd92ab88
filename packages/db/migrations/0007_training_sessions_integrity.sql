-- migrator: no-transaction (CREATE INDEX CONCURRENTLY, VALIDATE and the legacy moves in committed batches)
-- Hand patch of what drizzle-kit generated (the moves table with its FKs, index and policy; the GiST index;
-- the two CHECKs), which cannot ship as is:
--   * a plain CHECK and a plain CREATE INDEX scan training_sessions under ACCESS EXCLUSIVE (seconds per
--     million rows): the CHECKs are added NOT VALID then VALIDATEd, the index is built CONCURRENTLY;
--   * old rows that break a CHECK must be named before anything changes, not fail half way;
--   * what drizzle-kit does not model: the no-overlap and participant-count triggers, the moves of US-002's
--     legacy double bookings, the session_conflicts view, privileges.
-- Why a trigger and not an EXCLUDE constraint: adding one scans and indexes the whole table under ACCESS
-- EXCLUSIVE (no NOT VALID, and ADD CONSTRAINT ... USING INDEX takes only UNIQUE and PRIMARY KEY indexes),
-- and it would refuse the legacy conflicts that fit on no machine, which must not block the deploy. The
-- trigger checks only the rows being inserted or moved, serialised per machine by an advisory lock, and
-- probes the GiST index below (README: "No double booking", with the figures).
-- Pre-deploy (expand): it only refuses what the business already forbade and adds a table and a view; the
-- calendar view's new participants shape is 0008's, post-deploy (the old app reads the old shape). It needs
-- the US-002 release's contract step (0004) applied before it runs with an app sending traffic: the old
-- app's INSERTs go to Machine 1 by default, where they would now be refused as double bookings.
-- Every statement checks the catalog before it acts, so the file can run again (psql -f, or the migrator
-- after a kill) and changes nothing the second time. ACCESS EXCLUSIVE is only taken for catalog-only steps,
-- each bounded by lock_timeout, set just below only when none is set, so that the migrator's
-- --lock-timeout wins (squawk only recognises a plain SET). No statement_timeout: VALIDATE and CREATE
-- INDEX CONCURRENTLY run long and block nobody.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- No transaction is the point of this file (first line): each statement is guarded and safe to rerun.
-- squawk-ignore-file prefer-robust-stmts
DO $$ BEGIN IF now() <> statement_timestamp() THEN RAISE EXCEPTION '0007_training_sessions_integrity cannot run inside a transaction (drizzle-kit migrate and drizzle-orm migrate() run migrations that way); apply this history with pnpm db:migrate' USING ERRCODE = 'GYM05'; END IF; END $$;
--> statement-breakpoint
SELECT set_config('lock_timeout', '2s', false) WHERE current_setting('lock_timeout') IN ('0', '0ms');
--> statement-breakpoint
-- Old rows that the CHECKs would refuse: named (a few ids and the count) before anything changes, with
-- the fix. A read, under no lock but ACCESS SHARE.
DO $$
DECLARE
  v_count bigint;
  v_ids text;
BEGIN
  SELECT count(*), string_agg(id::text, ', ') FILTER (WHERE n <= 5) INTO v_count, v_ids
    FROM (SELECT id, row_number() OVER (ORDER BY scheduled_start, id) AS n FROM training_sessions
           WHERE scheduled_end <= scheduled_start) bad;
  IF v_count > 0 THEN
    RAISE EXCEPTION '% training session(s) end at or before their start (%), which the new CHECK training_sessions_end_after_start_check refuses; nothing was changed', v_count, v_ids
      USING ERRCODE = 'GYM07',
            HINT = 'Fix their times or delete them (SELECT id, scheduled_start, scheduled_end FROM training_sessions WHERE scheduled_end <= scheduled_start), then run the migration again.';
  END IF;
  SELECT count(*), string_agg(id::text || ' (' || status || ')', ', ') FILTER (WHERE n <= 5) INTO v_count, v_ids
    FROM (SELECT id, status, row_number() OVER (ORDER BY scheduled_start, id) AS n FROM training_sessions
           WHERE status NOT IN ('scheduled', 'in_progress', 'completed', 'cancelled')) bad;
  IF v_count > 0 THEN
    RAISE EXCEPTION '% training session(s) have a status other than scheduled, in_progress, completed or cancelled (%), which the new CHECK training_sessions_status_check refuses; nothing was changed', v_count, v_ids
      USING ERRCODE = 'GYM07',
            HINT = 'Set their status to one of the four (SELECT id, status FROM training_sessions WHERE status NOT IN (''scheduled'', ''in_progress'', ''completed'', ''cancelled'')), then run the migration again.';
  END IF;
END
$$;
--> statement-breakpoint
-- NOT VALID: a catalog change (ACCESS EXCLUSIVE for milliseconds); new rows are checked from here on.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'training_sessions'::regclass
                    AND conname = 'training_sessions_end_after_start_check') THEN
    ALTER TABLE training_sessions ADD CONSTRAINT training_sessions_end_after_start_check
      CHECK (scheduled_end > scheduled_start) NOT VALID;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'training_sessions'::regclass
                    AND conname = 'training_sessions_status_check') THEN
    ALTER TABLE training_sessions ADD CONSTRAINT training_sessions_status_check
      CHECK (status IN ('scheduled', 'in_progress', 'completed', 'cancelled')) NOT VALID;
  END IF;
END
$$;
--> statement-breakpoint
-- VALIDATE scans under SHARE UPDATE EXCLUSIVE (blocks no reads, no writes). A bad row written between the
-- check above and ADD CONSTRAINT would make it fail: then the two constraints are dropped again (committed)
-- before the error, so that the database is left as it was.
DO $$
DECLARE
  v_failed text;
BEGIN
  BEGIN
    ALTER TABLE training_sessions VALIDATE CONSTRAINT training_sessions_end_after_start_check;
    ALTER TABLE training_sessions VALIDATE CONSTRAINT training_sessions_status_check;
  EXCEPTION WHEN check_violation THEN
    v_failed := SQLERRM;
  END;
  IF v_failed IS NOT NULL THEN
    ALTER TABLE training_sessions DROP CONSTRAINT IF EXISTS training_sessions_end_after_start_check,
                                  DROP CONSTRAINT IF EXISTS training_sessions_status_check;
    COMMIT;
    RAISE EXCEPTION 'a training session breaking the new CHECKs was written while the migration ran (%); nothing was changed', v_failed
      USING ERRCODE = 'GYM07', HINT = 'Run the migration again: it names the rows to fix.';
  END IF;
END
$$;
--> statement-breakpoint
-- A CREATE INDEX CONCURRENTLY that was interrupted leaves an INVALID index behind, which IF NOT EXISTS would
-- then accept as done. Drop such a leftover first (dropping an index that is not in use is a catalog change).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('training_sessions_active_slot_idx') AND NOT indisvalid) THEN
    RAISE NOTICE 'dropping the INVALID index training_sessions_active_slot_idx left by an interrupted run';
    DROP INDEX training_sessions_active_slot_idx;
  END IF;
END
$$;
--> statement-breakpoint
-- A concurrent build waits for every older transaction and blocks nobody meanwhile; under lock_timeout one
-- long report would cancel it, so the bound is lifted for this statement only (as in 0002).
SELECT set_config('gym.lock_timeout_outside_index_build', current_setting('lock_timeout'), false),
       set_config('lock_timeout', '0', false);
--> statement-breakpoint
CREATE INDEX CONCURRENTLY IF NOT EXISTS "training_sessions_active_slot_idx" ON "training_sessions" USING gist (tstzrange("scheduled_start", "scheduled_end", '[)')) WHERE "training_sessions"."status" IN ('scheduled', 'in_progress');
--> statement-breakpoint
SELECT set_config('lock_timeout', current_setting('gym.lock_timeout_outside_index_build'), false);
--> statement-breakpoint
-- The moves table is new and empty, so its FKs and index cost nothing to add at once (the FK to
-- training_sessions takes SHARE ROW EXCLUSIVE there for milliseconds, under lock_timeout). In one DO block,
-- guarded as a whole, so that a rerun changes nothing.
DO $$
BEGIN
  IF to_regclass('session_machine_moves') IS NOT NULL THEN
    RETURN;
  END IF;
  CREATE TABLE "session_machine_moves" (
    "id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    "session_id" uuid NOT NULL,
    "from_machine_id" uuid NOT NULL,
    "to_machine_id" uuid NOT NULL,
    "moved_at" timestamp with time zone DEFAULT now() NOT NULL
  );
  ALTER TABLE "session_machine_moves" ENABLE ROW LEVEL SECURITY;
  ALTER TABLE "session_machine_moves" ADD CONSTRAINT "session_machine_moves_session_id_training_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."training_sessions"("id") ON DELETE cascade ON UPDATE no action;
  ALTER TABLE "session_machine_moves" ADD CONSTRAINT "session_machine_moves_from_machine_id_machines_id_fk" FOREIGN KEY ("from_machine_id") REFERENCES "public"."machines"("id") ON DELETE no action ON UPDATE no action;
  ALTER TABLE "session_machine_moves" ADD CONSTRAINT "session_machine_moves_to_machine_id_machines_id_fk" FOREIGN KEY ("to_machine_id") REFERENCES "public"."machines"("id") ON DELETE no action ON UPDATE no action;
  CREATE INDEX "session_machine_moves_session_id_idx" ON "session_machine_moves" USING btree ("session_id");
  CREATE POLICY "session_machine_moves_admin_read" ON "session_machine_moves" AS PERMISSIVE FOR SELECT TO "authenticated" USING ((select gym_private.is_admin()));
  -- As 0006 did for every table: anon nothing (whatever Supabase's default privileges gave), the policy
  -- decides for authenticated, and only the migrations write.
  REVOKE ALL ON session_machine_moves FROM PUBLIC, anon, authenticated;
  GRANT SELECT ON session_machine_moves TO authenticated;
  GRANT ALL ON session_machine_moves TO service_role;
END
$$;
--> statement-breakpoint
-- No double booking. Checks only the row being inserted or moved (onto a machine, a slot, or back to
-- scheduled/in_progress), so the legacy conflicts left in session_conflicts do not block edits of their
-- own (a trainer, notes) but nothing new may overlap them. The advisory lock serialises bookings per
-- machine: at READ COMMITTED the second booking waits for the first to commit, and its probe (a statement
-- of its own, with a new snapshot) then sees it. SECURITY DEFINER: the probe must see every session, not
-- only those the caller's policies show; search_path pinned like every function since 0006.
CREATE OR REPLACE FUNCTION enforce_session_no_overlap() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_other uuid;
BEGIN
  -- A null or unknown status holds no machine; a range the CHECK refuses is left to the CHECK (BEFORE
  -- triggers run first, and tstzrange would fail on it with a less useful error).
  IF NEW.status IS NULL OR NEW.status NOT IN ('scheduled', 'in_progress') OR NEW.scheduled_end <= NEW.scheduled_start THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status IN ('scheduled', 'in_progress') AND NEW.machine_id = OLD.machine_id
     AND NEW.scheduled_start = OLD.scheduled_start AND NEW.scheduled_end = OLD.scheduled_end THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('training_sessions_no_overlap'), hashtext(NEW.machine_id::text));
  SELECT id INTO v_other FROM training_sessions
   WHERE status IN ('scheduled', 'in_progress')
     AND tstzrange(scheduled_start, scheduled_end, '[)') && tstzrange(NEW.scheduled_start, NEW.scheduled_end, '[)')
     AND machine_id = NEW.machine_id
     AND id <> NEW.id
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'machine % is already booked for part of % to % (session %)', NEW.machine_id,
          NEW.scheduled_start, NEW.scheduled_end, v_other
      USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'training_sessions_no_overlap', TABLE = 'training_sessions',
            HINT = 'Choose another slot or another machine.';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION enforce_session_no_overlap() FROM PUBLIC, anon;
--> statement-breakpoint
-- CREATE OR REPLACE TRIGGER takes SHARE ROW EXCLUSIVE for milliseconds, under lock_timeout.
CREATE OR REPLACE TRIGGER training_sessions_no_overlap BEFORE INSERT OR UPDATE ON training_sessions
  FOR EACH ROW EXECUTE FUNCTION enforce_session_no_overlap();
--> statement-breakpoint
-- current_participants is the count of confirmed bookings, whatever an INSERT or UPDATE sets: the
-- bookings' sync trigger (0000) updates the session, and this recounts. SECURITY DEFINER for the same
-- reason as that trigger (every booking counts, not only those the caller sees).
CREATE OR REPLACE FUNCTION count_session_participants() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  NEW.current_participants := (SELECT count(*) FROM training_session_members b
                                WHERE b.session_id = NEW.id AND b.booking_status = 'confirmed');
  RETURN NEW;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION count_session_participants() FROM PUBLIC, anon;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER training_sessions_count_participants BEFORE INSERT OR UPDATE ON training_sessions
  FOR EACH ROW EXECUTE FUNCTION count_session_participants();
--> statement-breakpoint
-- Counts written by hand before this migration are recounted, in committed batches of the rows that
-- differ (found in one pass), so that no app query waits on a row lock for longer than one batch.
DO $$
DECLARE
  v_ids uuid[];
  v_step constant integer := 5000;
  v_at integer := 1;
BEGIN
  SELECT coalesce(array_agg(ts.id), '{}') INTO v_ids
    FROM training_sessions ts
    LEFT JOIN (SELECT session_id, count(*) AS n FROM training_session_members
                WHERE booking_status = 'confirmed' GROUP BY session_id) c ON c.session_id = ts.id
   WHERE ts.current_participants IS DISTINCT FROM coalesce(c.n, 0);
  WHILE v_at <= cardinality(v_ids) LOOP
    PERFORM set_config('gym.preserve_updated_at', 'on', true);
    UPDATE training_sessions SET current_participants = NULL WHERE id = ANY (v_ids[v_at:v_at + v_step - 1]);
    v_at := v_at + v_step;
    COMMIT;
  END LOOP;
  IF cardinality(v_ids) > 0 THEN
    RAISE NOTICE 'recounted current_participants of % session(s)', cardinality(v_ids);
  END IF;
END
$$;
--> statement-breakpoint
-- US-002 put every old session on Machine 1, so sessions that ran at the same time elsewhere now overlap
-- there. Each scheduled/in_progress session that overlaps an earlier one (by start, then id) on its machine
-- goes to the lowest-numbered available machine free for its whole slot (its own machine counts, once the
-- earlier one has moved away), keeping its time, trainer and booking; the no-overlap trigger is the judge,
-- so a booking made meanwhile is never overlapped. Every move is recorded; a session that fits nowhere
-- stays and is listed in session_conflicts (a warning, not an error: the deploy goes on). Committed every
-- 500 moves; updated_at is kept, as the session did not change for its member. A rerun finds only the
-- sessions that fit nowhere, and moves nothing.
DO $$
DECLARE
  v_session record;
  v_machine record;
  v_placed boolean;
  v_from uuid;
  v_rows integer;
  v_moves bigint := 0;
  v_stuck bigint := 0;
  v_batch integer := 0;
BEGIN
  PERFORM set_config('gym.preserve_updated_at', 'on', true);
  FOR v_session IN
    SELECT id, scheduled_start, scheduled_end FROM (
      SELECT id, scheduled_start, scheduled_end,
             max(scheduled_end) OVER (PARTITION BY machine_id ORDER BY scheduled_start, id
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end
        FROM training_sessions WHERE status IN ('scheduled', 'in_progress')) s
     WHERE earlier_end > scheduled_start
     ORDER BY scheduled_start, id
  LOOP
    v_placed := false;
    FOR v_machine IN SELECT id FROM machines WHERE is_available ORDER BY machine_number LOOP
      IF EXISTS (SELECT 1 FROM training_sessions WHERE id = v_session.id AND machine_id = v_machine.id) THEN
        -- Already there: it stays if nothing else holds the slot (the earlier session moved away).
        IF NOT EXISTS (SELECT 1 FROM training_sessions o
                        WHERE o.machine_id = v_machine.id AND o.id <> v_session.id
                          AND o.status IN ('scheduled', 'in_progress')
                          AND tstzrange(o.scheduled_start, o.scheduled_end, '[)')
                              && tstzrange(v_session.scheduled_start, v_session.scheduled_end, '[)')) THEN
          v_placed := true;
          EXIT;
        END IF;
        CONTINUE;
      END IF;
      BEGIN
        SELECT machine_id INTO v_from FROM training_sessions WHERE id = v_session.id;
        UPDATE training_sessions SET machine_id = v_machine.id
         WHERE id = v_session.id AND status IN ('scheduled', 'in_progress');
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        IF v_rows > 0 THEN
          INSERT INTO session_machine_moves (session_id, from_machine_id, to_machine_id)
          VALUES (v_session.id, v_from, v_machine.id);
          v_moves := v_moves + 1;
          v_batch := v_batch + 1;
        END IF;
        v_placed := true;
        EXIT;
      EXCEPTION WHEN exclusion_violation THEN
        NULL; -- taken: try the next machine
      END;
    END LOOP;
    IF NOT v_placed THEN
      v_stuck := v_stuck + 1;
    END IF;
    IF v_batch >= 500 THEN
      COMMIT;
      PERFORM set_config('gym.preserve_updated_at', 'on', true);
      RAISE NOTICE 'progress legacy-moves moved=% unplaced=%', v_moves, v_stuck;
      v_batch := 0;
    END IF;
  END LOOP;
  IF v_moves > 0 THEN
    RAISE NOTICE 'moved % overlapping legacy session(s) to a free machine (see session_machine_moves)', v_moves;
  END IF;
  IF v_stuck > 0 THEN
    RAISE WARNING '% overlapping legacy session(s) fit on no machine and stay where they are; they are listed in session_conflicts for an admin to move or cancel', v_stuck;
  END IF;
END
$$;
--> statement-breakpoint
-- The sessions holding a machine while an earlier one (by start, then id) holds part of the same slot: what
-- the moves above left. One ordered pass over the active sessions per machine, as the moves found them.
-- Columns named, not ts.*: a pending 0004 must still be able to drop location and max_participants.
CREATE OR REPLACE VIEW session_conflicts WITH (security_invoker = true) AS
SELECT s.id AS session_id, s.machine_id, s.scheduled_start, s.scheduled_end, s.status, s.trainer_id
  FROM (SELECT ts.id, ts.machine_id, ts.scheduled_start, ts.scheduled_end, ts.status, ts.trainer_id,
               max(ts.scheduled_end) OVER (PARTITION BY ts.machine_id ORDER BY ts.scheduled_start, ts.id
                                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end
          FROM training_sessions ts WHERE ts.status IN ('scheduled', 'in_progress')) s
 WHERE s.earlier_end > s.scheduled_start;
--> statement-breakpoint
REVOKE ALL ON session_conflicts FROM PUBLIC, anon;
--> statement-breakpoint
GRANT SELECT ON session_conflicts TO authenticated, service_role;
--> statement-breakpoint
-- Done only when both CHECKs are validated and the index is valid; a run cut short must not be recorded.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'training_sessions'::regclass
                AND conname IN ('training_sessions_end_after_start_check', 'training_sessions_status_check') AND NOT convalidated)
     OR NOT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('training_sessions_active_slot_idx') AND indisvalid) THEN
    RAISE EXCEPTION 'training_sessions is half migrated: a CHECK is not validated or training_sessions_active_slot_idx is not valid'
      USING ERRCODE = 'GYM04', HINT = 'Run the migration again; every step is safe to repeat.';
  END IF;
END
$$;
