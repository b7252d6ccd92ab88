import { perTestResources } from '@gym/testing';
import { describe, expect, it } from 'vitest';
import { seedSampleWeek } from '../src/sample-week.js';

// Issue 12, item 5 (db:start --seed; moved here from @gym/db-tests with the sample week, issue 18): the
// week it books, through bookSession, is the same every time, and it never mixes with real data.
const resources = perTestResources();

describe('--seed', () => {
  const sessionsOf = async (url: string) =>
    (
      await resources.client(url).then((c) =>
        c.query(`SELECT machine_number, trainer_name, scheduled_start, scheduled_end, participants->0->>'name' AS member
                 FROM training_sessions_calendar ORDER BY scheduled_start, machine_number`),
      )
    ).rows;

  it('fills an empty database with the same week of bookings every time, on all three machines', async () => {
    const now = new Date('2026-12-02T15:00:00Z');
    const [a, b] = [await resources.database('template'), await resources.database('template')];
    const seededA = await seedSampleWeek(a.url, now);
    const seededB = await seedSampleWeek(b.url, now);
    expect(seededA).toMatchObject({ seeded: true, weekStart: new Date('2026-11-30T00:00:00Z') });
    expect(seededB).toEqual(seededA);
    const rowsA = await sessionsOf(a.url);
    expect(rowsA.length).toBe((seededA as { sessions: number }).sessions);
    expect(new Set(rowsA.map((r) => r.machine_number))).toEqual(new Set([1, 2, 3]));
    expect(rowsA.some((r) => r.trainer_name === 'Unassigned')).toBe(true);
    expect(rowsA.some((r) => r.trainer_name !== 'Unassigned')).toBe(true);
    // The week of `now`, Monday to Sunday.
    for (const r of rowsA) {
      expect(r.scheduled_start.getTime()).toBeGreaterThanOrEqual(new Date('2026-11-30T00:00:00Z').getTime());
      expect(r.scheduled_end.getTime()).toBeLessThanOrEqual(new Date('2026-12-07T00:00:00Z').getTime());
    }
    expect(await sessionsOf(b.url)).toEqual(rowsA);
  });

  it('leaves a database that already has data as it is', async () => {
    const db = await resources.database('template');
    await db.query(`INSERT INTO members (first_name, last_name, email) VALUES ('Real', 'Member', 'real@example.com')`);
    const result = await seedSampleWeek(db.url);
    expect(result).toEqual({ seeded: false, reason: expect.stringContaining('1 members') });
    const { rows } = await db.query(
      `SELECT (SELECT count(*) FROM members)::int AS m, (SELECT count(*) FROM training_sessions)::int AS s`,
    );
    expect(rows).toEqual([{ m: 1, s: 0 }]);
  });
});
