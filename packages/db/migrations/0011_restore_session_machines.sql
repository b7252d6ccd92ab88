-- migrator: no-transaction (the moves commit in batches, as in 0007)
-- Hand-written (drizzle-kit generate --custom): no schema change, so drizzle-kit has nothing to generate.
-- Rolling back to the baseline drops machines, and with them the machine ids by which 0002's rollback kept
-- every session's machine; migrating up again then put every session on Machine 1, and 0007 moved the
-- overlapping ones to the lowest free machine, not their own. Since this release, 0001's rollback keeps each
-- session's machine by number (gym_migrations.training_sessions_machine_numbers), and this migration, the
-- first that can run after a new 0001 and 0002, finishes what 0002 could not: it undoes 0007's moves of this
-- cycle, puts every archived session back on its machine, then makes 0007's legacy moves again over that
-- state, as 0007 made them the first time. Without that archive (every other database) it does nothing.
-- Pre-deploy: it only moves sessions back where they were. Every statement is safe to repeat: a run cut
-- short in the moves starts again from the archive, which goes only once they are done.
-- lock_timeout is set just below only when none is set, so that the migrator's --lock-timeout wins (squawk
-- only recognises a plain SET); no statement_timeout: the moves run as long as the table is big.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- No transaction is the point of this file (first line): each statement is guarded and safe to rerun.
-- squawk-ignore-file prefer-robust-stmts
DO $$ BEGIN IF now() <> statement_timestamp() THEN RAISE EXCEPTION '0011_restore_session_machines cannot run inside a transaction (drizzle-kit migrate and drizzle-orm migrate() run migrations that way); apply this history with pnpm db:migrate' USING ERRCODE = 'GYM05'; END IF; END $$;
--> statement-breakpoint
SELECT set_config('lock_timeout', '2s', false) WHERE current_setting('lock_timeout') IN ('0', '0ms');
--> statement-breakpoint
-- In one transaction, with the no-overlap trigger off (the sessions go back to a state that had the legacy
-- double bookings, and moving them one by one would meet states that never existed; writers wait for the
-- transaction, as DISABLE TRIGGER takes SHARE ROW EXCLUSIVE): 0007's moves of this cycle are undone as its
-- rollback undoes them, then each archived session goes back to its machine.
DO $$
BEGIN
  IF to_regclass('gym_migrations.training_sessions_machine_numbers') IS NULL THEN
    RETURN;
  END IF;
  PERFORM set_config('gym.preserve_updated_at', 'on', true);
  ALTER TABLE training_sessions DISABLE TRIGGER training_sessions_no_overlap;
  UPDATE training_sessions ts SET machine_id = m.from_machine_id
    FROM (SELECT DISTINCT ON (session_id) session_id, from_machine_id, to_machine_id
            FROM session_machine_moves ORDER BY session_id, moved_at DESC) m
   WHERE ts.id = m.session_id AND ts.machine_id = m.to_machine_id;
  DELETE FROM session_machine_moves;
  UPDATE training_sessions ts SET machine_id = m.id
    FROM gym_migrations.training_sessions_machine_numbers a JOIN machines m ON m.machine_number = a.machine_number
   WHERE ts.id = a.session_id AND ts.machine_id IS DISTINCT FROM m.id;
  ALTER TABLE training_sessions ENABLE TRIGGER training_sessions_no_overlap;
END
$$;
--> statement-breakpoint
-- 0007's legacy moves, made again over the state above (the same statement as 0007's, which is frozen): each
-- scheduled or in-progress session that overlaps an earlier one on its machine goes to the lowest-numbered
-- available machine free for its whole slot, judged by the no-overlap trigger, recorded in
-- session_machine_moves, committed every 500 moves.
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
  IF to_regclass('gym_migrations.training_sessions_machine_numbers') IS NULL THEN
    RETURN;
  END IF;
  -- machine_id was just rewritten for the archived sessions: without fresh statistics the planner takes
  -- Machine 1 for a small share of the table, and every probe below would read all of its sessions.
  ANALYZE training_sessions;
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
        NULL;
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
    RAISE NOTICE 'moved % overlapping legacy session(s) to a free machine again (see session_machine_moves)', v_moves;
  END IF;
  IF v_stuck > 0 THEN
    RAISE WARNING '% overlapping legacy session(s) fit on no machine and stay where they are; they are listed in session_conflicts for an admin to move or cancel', v_stuck;
  END IF;
END
$$;
--> statement-breakpoint
-- Every session is back on its machine: the archive goes.
DO $$
BEGIN
  IF to_regclass('gym_migrations.training_sessions_machine_numbers') IS NOT NULL THEN
    DROP TABLE gym_migrations.training_sessions_machine_numbers;
  END IF;
END
$$;
