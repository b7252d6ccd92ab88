import { createTestDatabase } from '@gym/testing/db';
import { migrateTo, rollbackTo } from '@gym/testing/migrate';
import { propertyRuns } from '@gym/testing/property-runs';
import { US002_CONTRACT } from '@gym/testing/release';
import { catalogSnapshot } from '@gym/testing/snapshot';
import fc from 'fast-check';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';

// Issue 3: over random old-schema data, 0002 up, down, up gives identical rows every time: random NULLs where
// the old schema allows them, Unicode (emoji, quotes, backslashes), timestamps at DST edges and in other
// zones, max_participants NULL or 1 to 5, and 0 or 1 participant per session.

// 15 random histories per run (fast-check draws new ones each time, so CI's three PostgreSQL versions try
// 45); GYM_PROPERTY_RUNS asks for more when hunting a bug. Each one migrates up, down and up again. Zero, or
// anything but a whole number, fails the test rather than passing it with no history tried.
const NUM_RUNS = propertyRuns(15);

// Text the old columns may hold. No NUL: PostgreSQL text cannot store it.
const tricky = fc.constantFrom(
  '',
  ' ',
  "Jo's corner",
  'say "hi"',
  'back\\slash \\n not a newline',
  "'; DROP TABLE training_sessions; --",
  'NULL',
  '🏋️‍♀️ Studio 💪🏽',
  'Zürich – Ünïcødé ß',
  '日本語のメモ',
  'עברית',
  'line\nbreak\ttab',
  '\u{1F600}\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}',
);
const text = fc
  .oneof(tricky, fc.string({ unit: 'grapheme', maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 12 }))
  .filter((s) => !s.includes('\u0000') && !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')));
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 3 });

// Instants written the many ways an app sends them: DST edges in Europe, America and Australia (including a
// local time that does not exist and one that exists twice), odd offsets, microseconds, and random instants.
const timestamp = fc.oneof(
  fc.constantFrom(
    '2025-03-30T01:00:00Z',
    '2025-03-30T00:59:59.999999Z',
    '2025-10-26T00:59:59Z',
    '2025-10-26T01:00:00Z',
    '2025-03-30 02:30:00 Europe/Paris',
    '2025-10-26 02:30:00 Europe/Paris',
    '2025-03-09 02:30:00 America/New_York',
    '2025-11-02 01:30:00 America/New_York',
    '2025-04-06 02:30:00 Australia/Sydney',
    '2025-10-05 02:00:00 Australia/Sydney',
    '2025-06-01 12:00:00+05:45',
    '2025-06-01 12:00:00-09:30',
    '2024-02-29 23:59:59.123456+14:00',
    '1999-12-31 23:59:59.999999-12:00',
  ),
  fc
    .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
);

const person = fc.record({
  firstName: text,
  lastName: text,
  phone: nullable(text),
  status: fc.constantFrom('active', 'inactive'),
  createdAt: timestamp,
  updatedAt: timestamp,
});

const session = fc.record({
  trainer: fc.nat(),
  start: timestamp,
  minutes: fc.integer({ min: 0, max: 600 }),
  status: nullable(fc.oneof(fc.constantFrom('scheduled', 'in_progress', 'completed', 'cancelled'), text)),
  maxParticipants: nullable(fc.integer({ min: 1, max: 5 })),
  currentParticipants: nullable(fc.constant(0)),
  notes: nullable(text),
  location: nullable(text),
  sessionType: nullable(text),
  createdAt: nullable(timestamp),
  updatedAt: nullable(timestamp),
  booking: nullable(
    fc.record({
      member: fc.nat(),
      status: fc.constantFrom('confirmed', 'waitlisted', 'cancelled', 'no_show', 'attended'),
      createdAt: timestamp,
    }),
  ),
  /** Where the studio moves the session after the migration (US-002: admins reassign sessions). */
  machine: fc.constantFrom(1, 1, 2, 3),
});

const dataset = fc.record({
  trainers: fc.array(person, { minLength: 1, maxLength: 4 }),
  members: fc.array(person, { minLength: 1, maxLength: 4 }),
  sessions: fc.array(session, { minLength: 0, maxLength: 12 }),
  /** The client's TimeZone while loading: the same instants must come back whatever it was. */
  zone: fc.constantFrom(
    'UTC',
    'Europe/Paris',
    'America/New_York',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'Pacific/Chatham',
  ),
});
type Dataset = typeof dataset extends fc.Arbitrary<infer T> ? T : never;

async function load(c: pg.PoolClient, data: Dataset): Promise<{ sessionIds: string[] }> {
  await c.query(`SET TIME ZONE '${data.zone}'`);
  // Keep the generated updated_at values: booking a member updates current_participants through a trigger.
  await c.query(`SET gym.preserve_updated_at = 'on'`);
  const ids = async (table: 'trainers' | 'members', people: Dataset['trainers']) => {
    const out: string[] = [];
    for (const [i, p] of people.entries()) {
      const { rows } = await c.query<{ id: string }>(
        `INSERT INTO ${table} (first_name, last_name, email, phone, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [p.firstName, p.lastName, `${table}-${i}-${p.firstName}@gym.test`, p.phone, p.status, p.createdAt, p.updatedAt],
      );
      out.push(rows[0]!.id);
    }
    return out;
  };
  const trainerIds = await ids('trainers', data.trainers);
  const memberIds = await ids('members', data.members);
  const sessionIds: string[] = [];
  for (const s of data.sessions) {
    const { rows } = await c.query<{ id: string }>(
      `INSERT INTO training_sessions (trainer_id, scheduled_start, scheduled_end, status, max_participants, current_participants,
                                      notes, location, session_type, created_at, updated_at)
       VALUES ($1, $2::timestamptz, $2::timestamptz + $3 * interval '1 minute', $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [
        trainerIds[s.trainer % trainerIds.length],
        s.start,
        s.minutes,
        s.status,
        s.maxParticipants,
        s.currentParticipants,
        s.notes,
        s.location,
        s.sessionType,
        s.createdAt,
        s.updatedAt,
      ],
    );
    sessionIds.push(rows[0]!.id);
    if (s.booking) {
      await c.query(
        `INSERT INTO training_session_members (session_id, member_id, booking_status, created_at) VALUES ($1, $2, $3, $4)`,
        [rows[0]!.id, memberIds[s.booking.member % memberIds.length], s.booking.status, s.booking.createdAt],
      );
    }
  }
  await c.query('RESET gym.preserve_updated_at');
  return { sessionIds };
}

type Row = Record<string, unknown>;
const TABLES = ['trainers', 'members', 'training_sessions', 'training_session_members', 'machines'] as const;

/** Every row of the tables the app owns, by table then id (read through the pool: one TimeZone for all reads). */
async function rows(db: Pick<pg.Pool, 'query'>): Promise<Record<(typeof TABLES)[number], Map<string, Row>>> {
  const out = {} as Record<(typeof TABLES)[number], Map<string, Row>>;
  for (const t of TABLES) {
    const { rows: r } = await db.query<{ r: Row }>(`SELECT to_jsonb(x) AS r FROM ${t} x`);
    out[t] = new Map(r.map(({ r: row }) => [String(row.id), row]));
  }
  return out;
}

const sorted = (m: Map<string, Row>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe('0002 round trip over random old-schema data (fast-check)', () => {
  it(`up, down, up: every row identical, every time (${NUM_RUNS} runs)`, async () => {
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(dataset, async (data) => {
        ran++;
        const db = await createTestDatabase('empty');
        try {
          await migrateTo(db.url, '0001_machines');
          const c = await db.pool.connect();
          let sessionIds: string[];
          try {
            ({ sessionIds } = await load(c, data));
          } finally {
            c.release(true);
          }
          const before = await rows(db);
          expect(before.training_sessions.size).toBe(data.sessions.length);

          await migrateTo(db.url, US002_CONTRACT);
          const moved = new Set<string>();
          for (const [i, s] of data.sessions.entries()) {
            if (s.machine === 1) continue;
            await db.query(
              `UPDATE training_sessions SET machine_id = (SELECT id FROM machines WHERE machine_number = $1) WHERE id = $2`,
              [s.machine, sessionIds[i]],
            );
            moved.add(sessionIds[i]!);
          }
          const up = await rows(db);
          const upCatalog = await catalogSnapshot(db);
          // The migration itself changed no kept value: every session not moved is as it was, on Machine 1.
          const machine1 = (await db.query<{ id: string }>('SELECT id FROM machines WHERE machine_number = 1')).rows[0]!
            .id;
          for (const [id, old] of before.training_sessions) {
            const { max_participants: _m, location: _l, ...kept } = old;
            const { machine_id, ...now } = up.training_sessions.get(id)!;
            if (moved.has(id)) expect({ ...now, updated_at: kept.updated_at }).toEqual(kept);
            else expect({ ...now, machine_id }).toEqual({ ...kept, machine_id: machine1 });
          }

          expect((await rollbackTo(db.url, '0001_machines')).rolledBack).toEqual([
            '0004_training_sessions_contract',
            '0003_session_functions',
            '0002_training_sessions_machines',
          ]);
          const down = await rows(db);
          // The old schema's rows are back exactly as before the first up; a moved session's updated_at is the
          // one the move gave it (the app's UPDATE set it; the rollback keeps it).
          for (const t of ['trainers', 'members', 'training_session_members', 'machines'] as const) {
            expect(sorted(down[t]), t).toEqual(sorted(before[t]));
          }
          const expectedDown = new Map(
            [...before.training_sessions].map(([id, r]) => [
              id,
              moved.has(id) ? { ...r, updated_at: up.training_sessions.get(id)!.updated_at } : r,
            ]),
          );
          expect(sorted(down.training_sessions)).toEqual(sorted(expectedDown));

          await migrateTo(db.url, US002_CONTRACT);
          const again = await rows(db);
          for (const t of TABLES) expect(sorted(again[t]), t).toEqual(sorted(up[t]));
          expect(await catalogSnapshot(db)).toEqual(upCatalog);
        } finally {
          await db.drop();
        }
      }),
      { numRuns: NUM_RUNS, endOnFailure: true },
    );
    expect(ran).toBe(NUM_RUNS);
  });
});
