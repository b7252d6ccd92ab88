-- Rollback of 0008_training_sessions_calendar: the calendar view as 0004 left it (participants as
-- {member_id, name, booking_status} of every booking). It loses columns only by being dropped and created
-- again, which also loses its grants and options: 0006's are given back. It holds no data, so nothing is lost.
DROP VIEW IF EXISTS training_sessions_calendar;
--> statement-breakpoint
CREATE VIEW training_sessions_calendar WITH (security_invoker = true) AS
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
       coalesce((SELECT json_agg(json_build_object('member_id', m.id,
                                                   'name', concat_ws(' ', m.first_name, m.last_name),
                                                   'booking_status', b.booking_status) ORDER BY b.created_at)
                   FROM training_session_members b JOIN members m ON m.id = b.member_id
                  WHERE b.session_id = ts.id), '[]'::json) AS participants
  FROM training_sessions ts
  JOIN machines mc ON mc.id = ts.machine_id
  LEFT JOIN trainers t ON t.id = ts.trainer_id;
--> statement-breakpoint
-- A view created again has lost 0006's grants: the same again (anon nothing, whatever default privileges gave).
REVOKE ALL ON training_sessions_calendar FROM PUBLIC, anon;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON training_sessions_calendar TO authenticated;
--> statement-breakpoint
GRANT ALL ON training_sessions_calendar TO service_role;
