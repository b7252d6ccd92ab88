import { createDb, members, trainers } from '@gym/db';
import { sql } from 'drizzle-orm';
import { seed } from 'drizzle-seed';
import { bookSession } from './book-session.js';

/** drizzle-seed's seed number: the same number gives the same people every time. */
const SEED = 20_240_601;
const OPENING_HOUR = 7;
const CLOSING_HOUR = 21;

export type SeedResult =
  | { seeded: true; trainers: number; members: number; sessions: number; weekStart: Date }
  | { seeded: false; reason: string };

/** Monday 00:00 UTC of the week that contains `now`: the calendar opens on the current week. */
export function weekStartOf(now: Date): Date {
  const day = (now.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - day));
}

/** Small deterministic generator for the timetable (mulberry32), seeded like drizzle-seed. */
function random(seedNumber: number): () => number {
  let a = seedNumber >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * `count` version-4 UUIDs from `next`. drizzle-seed's own uuid() leaves the variant digit random, so most of
 * its ids are not RFC 4122 UUIDs, and bookSession's input schema (z.uuid()) refuses them as member ids.
 */
function uuids(next: () => number, count: number): string[] {
  return Array.from({ length: count }, () => {
    const bytes = Array.from({ length: 16 }, () => Math.floor(next() * 256));
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  });
}

/**
 * Fills an empty database with a week of sample bookings on the three machines (`pnpm db:start --seed`):
 * people from drizzle-seed (made for this: realistic names and emails, the same ones for the same seed
 * number), and a timetable of one-hour sessions from opening to closing time, each booked through
 * bookSession, as the app books, so that every rule the booking function checks holds. `url` is a trusted
 * connection (db:start's, as the server's owner), for which the member booking rules (how far ahead, how
 * many) do not apply: the week's past days are booked too. Refuses a database that already has people or
 * sessions: seeding never mixes sample data with real data.
 */
export async function seedSampleWeek(url: string, now = new Date()): Promise<SeedResult> {
  const db = createDb(url);
  try {
    const counts = await db.execute<{ trainers: number; members: number; sessions: number }>(sql`
      SELECT (SELECT count(*) FROM trainers)::int AS trainers, (SELECT count(*) FROM members)::int AS members,
             (SELECT count(*) FROM training_sessions)::int AS sessions`);
    const c = counts.rows[0]!;
    if (c.trainers + c.members + c.sessions > 0) {
      return {
        seeded: false,
        reason: `the database already has ${c.trainers} trainers, ${c.members} members and ${c.sessions} sessions`,
      };
    }
    const weekStart = weekStartOf(now);
    let sessions = 0;
    // The people's ids come from a generator of their own, so that the timetable's draws stay as they were.
    const ids = random(SEED + 1);
    const [trainerIdPool, memberIdPool] = [uuids(ids, 4), uuids(ids, 30)];
    await db.transaction(async (tx) => {
      await seed(tx, { trainers, members }, { seed: SEED }).refine((f) => ({
        trainers: {
          count: 4,
          columns: {
            id: f.valuesFromArray({ values: trainerIdPool, isUnique: true }),
            phone: f.phoneNumber({ template: '+1 (555) ###-####' }),
            status: f.default({ defaultValue: 'active' }),
            createdAt: f.default({ defaultValue: weekStart }),
            updatedAt: f.default({ defaultValue: weekStart }),
          },
        },
        members: {
          count: 30,
          columns: {
            id: f.valuesFromArray({ values: memberIdPool, isUnique: true }),
            phone: f.phoneNumber({ template: '+1 (555) ###-####' }),
            status: f.default({ defaultValue: 'active' }),
            createdAt: f.default({ defaultValue: weekStart }),
            updatedAt: f.default({ defaultValue: weekStart }),
          },
        },
      }));
      const people = async (table: 'trainers' | 'members') =>
        (await tx.execute<{ id: string }>(sql`SELECT id FROM ${sql.identifier(table)} ORDER BY email`)).rows.map(
          (r) => r.id,
        );
      const trainerIds = await people('trainers');
      const memberIds = await people('members');
      const machineIds = (
        await tx.execute<{ id: string }>(sql`SELECT id FROM machines ORDER BY machine_number`)
      ).rows.map((r) => r.id);
      const next = random(SEED);
      for (let day = 0; day < 7; day++) {
        for (const machineId of machineIds) {
          for (let hour = OPENING_HOUR; hour < CLOSING_HOUR; hour++) {
            // About half the slots are booked; a third of those with a trainer.
            if (next() >= 0.5) continue;
            const start = new Date(weekStart.getTime() + (day * 24 + hour) * 3_600_000);
            const end = new Date(start.getTime() + 3_600_000);
            const member = memberIds[Math.floor(next() * memberIds.length)]!;
            const trainer = next() < 1 / 3 ? trainerIds[Math.floor(next() * trainerIds.length)]! : null;
            await bookSession(tx, {
              machineId,
              memberId: member,
              scheduledStart: start,
              scheduledEnd: end,
              trainerId: trainer,
            });
            sessions++;
          }
        }
      }
    });
    return { seeded: true, trainers: 4, members: 30, sessions, weekStart };
  } finally {
    await db.$client.end();
  }
}
