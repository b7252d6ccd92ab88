import type pg from 'pg';

export interface LoadOptions {
  rows: number;
  trainers: number;
  members: number;
  /** Rows per INSERT ... SELECT generate_series statement (one transaction each). */
  chunk: number;
  log: (s: string) => void;
}

export interface LoadResult {
  sessions: number;
  bookings: number;
  trainers: number;
  members: number;
  tableBytes: number;
  totalRelationBytes: number;
  loadMs: number;
  vacuumMs: number;
}

/** Sessions are spread over these two years (730 days), 06:00-20:00 UTC in 30-minute slots. */
export const DATA_FROM = '2024-07-01T00:00:00Z';
export const DATA_DAYS = 730;
/** Sessions before this instant are in the past (completed or cancelled), after it scheduled or cancelled. */
export const DATA_NOW = '2025-12-01T00:00:00Z';

/**
 * Loads a realistic old-schema (0001_machines) data set with generate_series. Deterministic: setseed() is
 * called once on this connection and every random() comes from the same single-threaded INSERTs.
 *
 * training_sessions: trainer from the `trainers` set, start spread over 730 days, 30/45/60-minute sessions,
 * status completed/cancelled in the past and scheduled/cancelled in the future, max_participants 1 for 95 %
 * (2..6 otherwise), location one of six names for 90 % and NULL for 10 %, notes NULL for 40 %.
 * current_participants is set directly at insert time (1 for the 85 % of non-cancelled sessions that are
 * booked), and the matching confirmed booking is then inserted with the capacity and participant-sync
 * triggers disabled (ALTER TABLE ... DISABLE TRIGGER USER, re-enabled right after; FK checks stay on).
 */
export async function loadOldSchema(client: pg.Client, opts: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  await client.query(`SET synchronous_commit = off`);
  await client.query(`SELECT setseed(0.4242)`);

  await client.query(
    `INSERT INTO trainers (first_name, last_name, email, phone, status, created_at, updated_at)
     SELECT (ARRAY['Alex','Sam','Jordan','Taylor','Morgan','Casey','Riley','Jamie','Avery','Quinn'])[1 + g % 10],
            'Trainer' || g,
            'trainer' || g || '@bench.gym.test',
            CASE WHEN g % 4 = 0 THEN NULL ELSE '+1555' || lpad(g::text, 7, '0') END,
            CASE WHEN g % 10 = 0 THEN 'inactive' ELSE 'active' END,
            timestamptz '2024-01-01 09:00+00' + g * interval '1 day',
            timestamptz '2024-01-01 09:00+00' + g * interval '1 day'
       FROM generate_series(1, $1::int) g`,
    [opts.trainers],
  );
  await client.query(
    `INSERT INTO members (first_name, last_name, email, phone, status, created_at, updated_at)
     SELECT (ARRAY['Ana','Ben','Chloe','David','Emma','Farid','Grace','Hugo','Ines','Jonas','Kim','Lena'])[1 + g % 12],
            'Member' || g,
            'member' || g || '@bench.gym.test',
            CASE WHEN g % 3 = 0 THEN NULL ELSE '+1666' || lpad(g::text, 7, '0') END,
            CASE WHEN g % 20 = 0 THEN 'inactive' ELSE 'active' END,
            timestamptz '2024-01-01 09:00+00' + (g % 500) * interval '1 day',
            timestamptz '2024-01-01 09:00+00' + (g % 500) * interval '1 day'
       FROM generate_series(1, $1::int) g`,
    [opts.members],
  );

  const sessionsSql = `
    INSERT INTO training_sessions (trainer_id, scheduled_start, scheduled_end, status, max_participants,
                                   current_participants, notes, location, session_type, created_at, updated_at)
    SELECT t.ids[1 + floor(x.r_trainer * t.n)::int],
           x.start,
           x.start + (ARRAY[30, 45, 60, 60])[1 + floor(x.r_dur * 4)::int] * interval '1 minute',
           x.status,
           CASE WHEN x.r_cap < 0.95 THEN 1 ELSE 2 + floor(x.r_cap * 1000)::int % 5 END,
           CASE WHEN x.status <> 'cancelled' AND x.r_book < 0.85 THEN 1 ELSE 0 END,
           CASE WHEN x.r_notes < 0.40 THEN NULL
                ELSE (ARRAY['Focus on form', 'Knee rehab, no jumping', 'Bring a towel', 'First session: assessment',
                            'Progressive overload week', 'Client prefers morning slots', 'Post-injury, go easy',
                            'Cardio intervals 4x4'])[1 + floor(x.r_notes * 1000)::int % 8]
                     || CASE WHEN x.r_notes > 0.9 THEN '. Follow-up planned with the trainer after the session.' ELSE '' END
           END,
           CASE WHEN x.r_loc < 0.10 THEN NULL
                ELSE (ARRAY['Studio A', 'Studio B', 'Main floor', 'Cardio zone', 'Rehab room', 'Outdoor track'])[1 + floor(x.r_loc * 1000)::int % 6]
           END,
           (ARRAY['personal', 'personal', 'assessment', 'rehab', 'strength', 'cardio'])[1 + floor(x.r_type * 6)::int],
           x.start - (1 + floor(x.r_created * 30)::int) * interval '1 day',
           CASE WHEN x.start < timestamptz '${DATA_NOW}' THEN x.start + interval '1 hour'
                ELSE x.start - (1 + floor(x.r_created * 30)::int) * interval '1 day' END
      FROM (SELECT array_agg(id ORDER BY email) AS ids, count(*)::int AS n FROM trainers) t,
           LATERAL (
             SELECT s.start,
                    CASE WHEN s.start < timestamptz '${DATA_NOW}'
                         THEN CASE WHEN s.r_status < 0.07 THEN 'cancelled' ELSE 'completed' END
                         ELSE CASE WHEN s.r_status < 0.04 THEN 'cancelled' ELSE 'scheduled' END
                    END AS status,
                    s.r_trainer, s.r_dur, s.r_cap, s.r_book, s.r_notes, s.r_loc, s.r_type, s.r_created
               FROM (SELECT timestamptz '${DATA_FROM}' + interval '6 hours'
                              + floor(random() * ${DATA_DAYS})::int * interval '1 day'
                              + floor(random() * 28)::int * interval '30 minutes' AS start,
                            random() AS r_status, random() AS r_trainer, random() AS r_dur, random() AS r_cap,
                            random() AS r_book, random() AS r_notes, random() AS r_loc, random() AS r_type,
                            random() AS r_created
                       FROM generate_series(1, $1::int) g) s
           ) x`;
  let loaded = 0;
  const chunkStarted = performance.now();
  for (let chunkNo = 0; loaded < opts.rows && chunkNo < 100_000; chunkNo++) {
    const n = Math.min(opts.chunk, opts.rows - loaded);
    await client.query(sessionsSql, [n]);
    loaded += n;
    if (opts.rows > opts.chunk) {
      const s = (performance.now() - chunkStarted) / 1000;
      opts.log(
        `    sessions ${loaded.toLocaleString('en-US')}/${opts.rows.toLocaleString('en-US')} (${Math.round(loaded / s).toLocaleString('en-US')} rows/s)`,
      );
    }
  }

  await client.query(`ALTER TABLE training_session_members DISABLE TRIGGER USER`);
  let bookings = 0;
  try {
    const r = await client.query(
      `INSERT INTO training_session_members (session_id, member_id, booking_status, created_at)
       SELECT s.id, m.ids[1 + floor(random() * m.n)::int], 'confirmed', s.created_at
         FROM training_sessions s, (SELECT array_agg(id ORDER BY email) AS ids, count(*)::int AS n FROM members) m
        WHERE s.current_participants = 1`,
    );
    bookings = r.rowCount ?? 0;
  } finally {
    await client.query(`ALTER TABLE training_session_members ENABLE TRIGGER USER`);
  }
  const loadMs = performance.now() - started;
  opts.log(`    bookings ${bookings.toLocaleString('en-US')} (triggers re-enabled); VACUUM ANALYZE`);

  const v0 = performance.now();
  await client.query(`VACUUM ANALYZE`);
  const vacuumMs = performance.now() - v0;
  await client.query(`RESET synchronous_commit`);

  const { rows } = await client.query<{
    sessions: string;
    tbl: string;
    total: string;
    trainers: string;
    members: string;
  }>(
    `SELECT (SELECT count(*) FROM training_sessions) AS sessions,
            pg_relation_size('training_sessions') AS tbl,
            pg_total_relation_size('training_sessions') AS total,
            (SELECT count(*) FROM trainers) AS trainers,
            (SELECT count(*) FROM members) AS members`,
  );
  const r0 = rows[0]!;
  return {
    sessions: Number(r0.sessions),
    bookings,
    trainers: Number(r0.trainers),
    members: Number(r0.members),
    tableBytes: Number(r0.tbl),
    totalRelationBytes: Number(r0.total),
    loadMs,
    vacuumMs,
  };
}
