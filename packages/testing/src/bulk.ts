import type pg from 'pg';

/**
 * Loads `sessions` old-schema training sessions (database at 0001_machines) with generate_series, fast
 * enough for a million rows: trainers, members, sessions with every old column varied (NULLs included),
 * and one booking for every tenth session. Triggers and FK checks are skipped during the load
 * (session_replication_role = replica, superuser only), so current_participants is set here to what the
 * sync trigger would have computed; the data is consistent by construction.
 *
 * Session ids are md5('session ' || n)::uuid, so that bookings can refer to them without a round trip.
 */
export async function loadOldSessionsBulk(
  pool: pg.Pool,
  opts: { sessions: number; trainers?: number; members?: number },
): Promise<void> {
  const trainers = opts.trainers ?? 40;
  const members = opts.members ?? 2000;
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SET LOCAL session_replication_role = replica');
    await c.query(
      `INSERT INTO trainers (first_name, last_name, email, phone)
       SELECT 'Trainer', 'Bulk ' || g, 'bulk-trainer-' || g || '@gym.test', CASE WHEN g % 2 = 0 THEN '+33 6 00 00 ' || g END
         FROM generate_series(1, $1::int) g`,
      [trainers],
    );
    await c.query(
      `INSERT INTO members (first_name, last_name, email)
       SELECT 'Member', 'Bulk ' || g, 'bulk-member-' || g || '@gym.test' FROM generate_series(1, $1::int) g`,
      [members],
    );
    await c.query(
      `INSERT INTO training_sessions (id, trainer_id, scheduled_start, scheduled_end, status, max_participants,
                                      current_participants, notes, location, session_type, created_at, updated_at)
       SELECT md5('session ' || g)::uuid,
              t.ids[1 + g % $2::int],
              timestamptz '2024-01-01 06:00Z' + g * interval '7 minutes',
              timestamptz '2024-01-01 06:45Z' + g * interval '7 minutes',
              (ARRAY['scheduled', 'in_progress', 'completed', 'cancelled'])[1 + g % 4],
              CASE WHEN g % 11 = 0 THEN NULL ELSE 1 + (g % 5 = 0)::int END,
              CASE WHEN g % 10 = 0 AND g % 20 <> 0 THEN 1 ELSE 0 END,
              CASE WHEN g % 4 = 0 THEN NULL ELSE 'note ' || g || ' – “quoted” ''single'' \\ back' END,
              (ARRAY['Studio A', 'Studio B', 'Cardio room', 'Jo''s corner', NULL])[1 + g % 5],
              (ARRAY['personal', 'assessment', 'rehab', NULL])[1 + g % 4],
              timestamptz '2023-12-01 00:00Z' + g * interval '1 second',
              timestamptz '2023-12-15 00:00Z' + g * interval '1 second'
         FROM generate_series(1, $1::int) g,
              (SELECT array_agg(id ORDER BY email) AS ids FROM trainers) t`,
      [opts.sessions, trainers],
    );
    // One booking for every tenth session: confirmed, or (every twentieth) cancelled.
    await c.query(
      `INSERT INTO training_session_members (session_id, member_id, booking_status, created_at)
       SELECT md5('session ' || g)::uuid, m.ids[1 + g % $2::int],
              CASE WHEN g % 20 = 0 THEN 'cancelled' ELSE 'confirmed' END,
              timestamptz '2023-12-20 00:00Z' + g * interval '1 second'
         FROM generate_series(10, $1::int, 10) g,
              (SELECT array_agg(id ORDER BY email) AS ids FROM members) m`,
      [opts.sessions, members],
    );
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
  await pool.query('ANALYZE trainers, members, training_sessions, training_session_members');
}
