-- Rollback of 0007_training_sessions_integrity. Runs in one transaction: if it fails, nothing changes.
-- It loses nothing: the sessions the migration moved off a double-booked machine go back to the machine
-- they came from (from session_machine_moves, when they are still where it put them; updated_at kept), so
-- that migrating up again makes the same moves and records them again. The triggers go first, so that
-- moving back (onto a double booking) is allowed again, as it was before. The CHECKs, the GiST index and
-- session_conflicts go.
DROP TRIGGER IF EXISTS training_sessions_no_overlap ON training_sessions;
--> statement-breakpoint
DROP TRIGGER IF EXISTS training_sessions_count_participants ON training_sessions;
--> statement-breakpoint
DROP FUNCTION IF EXISTS enforce_session_no_overlap();
--> statement-breakpoint
DROP FUNCTION IF EXISTS count_session_participants();
--> statement-breakpoint
DO $$
BEGIN
  IF to_regclass('session_machine_moves') IS NULL THEN
    RETURN;
  END IF;
  PERFORM set_config('gym.preserve_updated_at', 'on', true);
  UPDATE training_sessions ts SET machine_id = m.from_machine_id
    FROM (SELECT DISTINCT ON (session_id) session_id, from_machine_id, to_machine_id
            FROM session_machine_moves ORDER BY session_id, moved_at DESC) m
   WHERE ts.id = m.session_id AND ts.machine_id = m.to_machine_id;
  PERFORM set_config('gym.preserve_updated_at', 'off', true);
  DROP TABLE session_machine_moves;
END
$$;
--> statement-breakpoint
DROP VIEW IF EXISTS session_conflicts;
--> statement-breakpoint
DROP INDEX IF EXISTS training_sessions_active_slot_idx;
--> statement-breakpoint
ALTER TABLE training_sessions DROP CONSTRAINT IF EXISTS training_sessions_end_after_start_check,
                              DROP CONSTRAINT IF EXISTS training_sessions_status_check;
