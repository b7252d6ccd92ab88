-- Rollback of 0003_session_functions (the expand step of US-003): drops the new booking function (the old one,
-- beside it, was never touched) and gives the calendar view back its 0002 shape. A view loses columns only by
-- being dropped and created again.
DROP FUNCTION IF EXISTS create_training_session_with_members(uuid, uuid, timestamptz, timestamptz, uuid, text, text);
--> statement-breakpoint
DROP VIEW IF EXISTS training_sessions_calendar;
--> statement-breakpoint
CREATE VIEW training_sessions_calendar AS
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
