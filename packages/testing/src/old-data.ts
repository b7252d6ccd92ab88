import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;

export interface OldSession {
  trainerIndex: number;
  scheduledStart: string;
  scheduledEnd: string;
  status: string | null;
  maxParticipants: number | null;
  notes: string | null;
  location: string | null;
  sessionType: string | null;
  /** A member to book (index into the members), or null for an empty session. */
  memberIndex: number | null;
}

/** Inserts trainers, members and old-schema sessions (schema at 0001_machines) with their bookings. */
export async function insertOldSchemaData(
  db: Queryable,
  data: { trainers: number; members: number; sessions: OldSession[] },
): Promise<{ trainerIds: string[]; memberIds: string[]; sessionIds: string[] }> {
  const { rows: trainers } = await db.query<{ id: string }>(
    `INSERT INTO trainers (first_name, last_name, email, phone)
     SELECT 'Trainer', 'N' || g, 'trainer' || g || '@gym.test', CASE WHEN g % 2 = 0 THEN '+33 6 00 00 00 ' || g END
       FROM generate_series(1, $1::int) g ORDER BY g RETURNING id`,
    [data.trainers],
  );
  const { rows: members } = await db.query<{ id: string }>(
    `INSERT INTO members (first_name, last_name, email)
     SELECT 'Member', 'N' || g, 'member' || g || '@gym.test' FROM generate_series(1, $1::int) g ORDER BY g RETURNING id`,
    [data.members],
  );
  const trainerIds = trainers.map((r) => r.id);
  const memberIds = members.map((r) => r.id);
  const s = data.sessions;
  const { rows: sessions } = await db.query<{ id: string; ord: number }>(
    `INSERT INTO training_sessions (trainer_id, scheduled_start, scheduled_end, status, max_participants, notes, location, session_type)
     SELECT ($1::uuid[])[t.trainer + 1], t.s, t.e, coalesce(t.status, 'scheduled'), t.maxp, t.notes, t.loc, t.typ
       FROM unnest($2::int[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[])
            WITH ORDINALITY AS t(trainer, s, e, status, maxp, notes, loc, typ, ord)
      ORDER BY t.ord
     RETURNING id`,
    [
      trainerIds,
      s.map((x) => x.trainerIndex % trainerIds.length),
      s.map((x) => x.scheduledStart),
      s.map((x) => x.scheduledEnd),
      s.map((x) => x.status),
      s.map((x) => x.maxParticipants),
      s.map((x) => x.notes),
      s.map((x) => x.location),
      s.map((x) => x.sessionType),
    ],
  );
  const sessionIds = sessions.map((r) => r.id);
  const booked = s.map((x, i) => ({ x, id: sessionIds[i]! })).filter(({ x }) => x.memberIndex !== null);
  if (booked.length > 0) {
    await db.query(
      `INSERT INTO training_session_members (session_id, member_id, booking_status)
       SELECT t.session_id, ($1::uuid[])[t.member + 1], 'confirmed' FROM unnest($2::uuid[], $3::int[]) AS t(session_id, member)`,
      [memberIds, booked.map((b) => b.id), booked.map((b) => b.x.memberIndex! % memberIds.length)],
    );
  }
  return { trainerIds, memberIds, sessionIds };
}

/** A deterministic, varied old-schema data set: several trainers, locations, NULLs, booked and empty sessions. */
export function realisticOldSessions(count: number): OldSession[] {
  const locations = ['Studio A', 'Studio B', 'Cardio room', "Jo's corner", null];
  const types = ['personal', 'assessment', 'rehab', null];
  const statuses = ['scheduled', 'in_progress', 'completed', 'cancelled'];
  return Array.from({ length: count }, (_, i) => {
    const start = new Date(Date.UTC(2025, 0, 1, 6, 0) + i * 37 * 60_000);
    return {
      trainerIndex: i % 7,
      scheduledStart: start.toISOString(),
      scheduledEnd: new Date(start.getTime() + (30 + (i % 3) * 15) * 60_000).toISOString(),
      status: statuses[i % statuses.length]!,
      maxParticipants: i % 11 === 0 ? null : 1 + (i % 5 === 0 ? 1 : 0),
      notes: i % 4 === 0 ? null : `note ${i} – “quoted” 'single' \\ back`,
      location: locations[i % locations.length]!,
      sessionType: types[i % types.length]!,
      memberIndex: i % 3 === 0 ? null : i,
    };
  });
}
