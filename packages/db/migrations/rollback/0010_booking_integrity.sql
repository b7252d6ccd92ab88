-- Rollback of 0010_booking_integrity: the finite-times CHECK and the three indexes go (catalog changes, in
-- one transaction). Nothing is lost: they only refused rows.
ALTER TABLE training_sessions DROP CONSTRAINT IF EXISTS training_sessions_finite_times_check;
--> statement-breakpoint
DROP INDEX IF EXISTS training_session_members_one_confirmed_idx;
--> statement-breakpoint
DROP INDEX IF EXISTS session_machine_moves_from_machine_id_idx;
--> statement-breakpoint
DROP INDEX IF EXISTS session_machine_moves_to_machine_id_idx;
