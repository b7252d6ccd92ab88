-- migrator: post-deploy (the old app reads the calendar's old participants shape)
-- Hand-written (drizzle-kit generate --custom): drizzle-kit does not model views (views.ts declares this one
-- with .existing()). Issue 8: the calendar's participants become what the app's screens read, the confirmed
-- bookings' {id, name, email}, and the view gains created_at and updated_at.
-- Post-deploy (contract): instances of the previous app still read participants as {member_id, name,
-- booking_status} during the rollout; this runs once they are gone. Also so that it always runs after
-- 0004_training_sessions_contract, whose view it replaces (a pre-deploy step would run before a pending 0004).
-- One statement, in the migrator's transaction: a view is a catalog change (ACCESS EXCLUSIVE on the view
-- only, for milliseconds, under the migrator's lock_timeout); a statement_timeout would only cut short
-- legitimate work.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- participants as the app's screens read them: the confirmed bookings' {id, name, email}; created_at and
-- updated_at appended (CREATE OR REPLACE VIEW can only append). 0006 made every view run with the caller's
-- rights; a replaced view keeps its options, and says so again here.
CREATE OR REPLACE VIEW training_sessions_calendar WITH (security_invoker = true) AS
SELECT ts.id,
       ts.machine_id,
       mc.machine_number,
       mc.name AS machine_name,
       mc.is_available AS machine_available,
       ts.trainer_id,
       coalesce(nullif(concat_ws(' ', t.first_name, t.last_name), ''), 'Unassigned') AS trainer_name,
       ts.scheduled_start,
       ts.scheduled_end,
       ts.status,
       (SELECT count(*) FROM training_session_members b
         WHERE b.session_id = ts.id AND b.booking_status = 'confirmed')::integer AS current_participants,
       ts.session_type,
       ts.notes,
       coalesce((SELECT json_agg(json_build_object('id', m.id,
                                                   'name', concat_ws(' ', m.first_name, m.last_name),
                                                   'email', m.email) ORDER BY b.created_at)
                   FROM training_session_members b JOIN members m ON m.id = b.member_id
                  WHERE b.session_id = ts.id AND b.booking_status = 'confirmed'), '[]'::json) AS participants,
       ts.created_at,
       ts.updated_at
  FROM training_sessions ts
  JOIN machines mc ON mc.id = ts.machine_id
  LEFT JOIN trainers t ON t.id = ts.trainer_id;
