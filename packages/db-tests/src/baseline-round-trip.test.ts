import { runCli } from '@gym/testing/cli';
import type { TestDatabase } from '@gym/testing/db';
import { migrateTo } from '@gym/testing/migrate';
import { allTags } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { dataSnapshot } from '@gym/testing/snapshot';
import { wholeCatalog } from '@gym/testing/whole-catalog';
import { describe, expect, it } from 'vitest';

// Issue 16, item 10: `db:rollback --to 0000_baseline` then `db:migrate` used to put every session back on
// Machine 1 (the machine archive went with `machines`, keyed by its uuids), and 0007 then moved the overlapping
// ones to the lowest free machine, not their own. Now every session comes back on its machine, every row as it
// was, and 0007's moves are made again.
const { database } = perTestResources();
const INTEGRITY = '0007_training_sessions_integrity';
const CALENDAR = '0008_training_sessions_calendar';
const BEFORE_INTEGRITY = allTags[allTags.indexOf(INTEGRITY) - 1]!;
const BASELINE = allTags[0]!;

type Slot = [name: string, machine: 1 | 2 | 3, day: string, from: string, to: string, status: string];

/**
 * A studio's history at the migration before 0007, as US-002 left it: on 2026-06-01, A to D overlap on
 * Machine 1 (legacy double bookings: 0007 moves B to 2 and C to 3; D fits nowhere and stays, listed in
 * session_conflicts), with a cancelled and a completed session beside them and H after them; on 2026-06-02,
 * E, F and G share one slot on Machines 2, 3 and 1. Each session has a trainer and a confirmed booking.
 */
const slots: Slot[] = [
  ['A', 1, '2026-06-01', '10:00', '11:00', 'scheduled'],
  ['B', 1, '2026-06-01', '10:15', '11:15', 'scheduled'],
  ['C', 1, '2026-06-01', '10:30', '11:30', 'in_progress'],
  ['D', 1, '2026-06-01', '10:45', '11:45', 'scheduled'],
  ['cancelled', 1, '2026-06-01', '10:00', '11:00', 'cancelled'],
  ['completed', 1, '2026-06-01', '10:10', '11:10', 'completed'],
  ['H', 1, '2026-06-01', '11:45', '12:45', 'scheduled'],
  ['E', 2, '2026-06-02', '09:00', '10:00', 'scheduled'],
  ['F', 3, '2026-06-02', '09:00', '10:00', 'scheduled'],
  ['G', 1, '2026-06-02', '09:00', '10:00', 'scheduled'],
];

async function insertSessions(db: TestDatabase, sessions: Slot[]) {
  for (const [name, machine, day, from, to, status] of sessions) {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO training_sessions (machine_id, trainer_id, scheduled_start, scheduled_end, status, notes)
       VALUES ((SELECT id FROM machines WHERE machine_number = $1), (SELECT min(id::text)::uuid FROM trainers),
               $2, $3, $4, $5) RETURNING id`,
      [machine, `${day}T${from}:00Z`, `${day}T${to}:00Z`, status, name],
    );
    await db.query(
      `INSERT INTO training_session_members (session_id, member_id)
       VALUES ($1, (SELECT id FROM members WHERE first_name = $2))`,
      [rows[0]!.id, name],
    );
  }
}

/**
 * The studio's database, migrated to the end and used: 0007 made its legacy moves, an admin then moved H to
 * Machine 3, and a session booked since (K, on Machine 2) is there too.
 */
async function studioDatabase(): Promise<TestDatabase> {
  const db = await database('empty');
  await migrateTo(db.url, BEFORE_INTEGRITY);
  await db.query(`INSERT INTO trainers (first_name, last_name, email) VALUES ('Tom', 'T', 'tom@gym.test')`);
  await db.query(
    `INSERT INTO members (first_name, last_name, email) SELECT n, 'M', lower(n) || '@gym.test' FROM unnest($1::text[]) n`,
    [[...slots.map((s) => s[0]), 'K']],
  );
  await insertSessions(db, slots);
  const up = await runCli(['migrate', '--url', db.url]);
  expect(up.code, up.stdout + up.stderr).toBe(0);
  await db.query(
    `UPDATE training_sessions SET machine_id = (SELECT id FROM machines WHERE machine_number = 3) WHERE notes = 'H'`,
  );
  await insertSessions(db, [['K', 2, '2026-06-03', '08:00', '09:00', 'scheduled']]);
  return db;
}

/**
 * Everything a round trip must give back. Machines get new ids when 0001 runs again, so every reference to a
 * machine is read as its number. session_machine_moves: the same moves (session, from, to); their ids and
 * moved_at are new, since they are made again. Every other table of public: every row, as it was (but the
 * updated_at of booking_rules' seeded row).
 */
async function studio(db: TestDatabase) {
  const q = async (sql: string) => (await db.query<{ r: unknown }>(sql)).rows.map((x) => x.r);
  const {
    'public.machines': _m,
    'public.training_sessions': _s,
    'public.session_machine_moves': _v,
    ...others
  } = await dataSnapshot(db);
  for (const t of Object.keys(others)) if (!t.startsWith('public.')) delete others[t];
  // 0009 seeds booking_rules when it runs, so the row is made again, with a new updated_at.
  others['public.booking_rules'] = (others['public.booking_rules'] ?? []).map((r) => {
    const { updated_at: _u, ...rule } = JSON.parse(r) as Record<string, unknown>;
    return JSON.stringify(rule);
  });
  return {
    placement: Object.fromEntries(
      (
        await db.query<{ notes: string; machine_number: number }>(
          `SELECT ts.notes, m.machine_number FROM training_sessions ts JOIN machines m ON m.id = ts.machine_id`,
        )
      ).rows.map((r) => [r.notes, r.machine_number]),
    ),
    sessions: await q(`SELECT to_jsonb(ts) - 'machine_id' || jsonb_build_object('machine', m.machine_number) AS r
                         FROM training_sessions ts JOIN machines m ON m.id = ts.machine_id ORDER BY ts.id`),
    moves: await q(`SELECT jsonb_build_object('session', (SELECT notes FROM training_sessions WHERE id = v.session_id),
                                              'from', f.machine_number, 'to', t.machine_number) AS r
                      FROM session_machine_moves v JOIN machines f ON f.id = v.from_machine_id
                      JOIN machines t ON t.id = v.to_machine_id ORDER BY 1`),
    conflicts: await q(`SELECT jsonb_build_object('session', ts.notes, 'machine', m.machine_number) AS r
                          FROM session_conflicts c JOIN training_sessions ts ON ts.id = c.session_id
                          JOIN machines m ON m.id = c.machine_id ORDER BY 1`),
    machines: await q(
      `SELECT jsonb_build_object('number', machine_number, 'name', name, 'available', is_available) AS r FROM machines ORDER BY machine_number`,
    ),
    others,
  };
}

async function cli(db: TestDatabase, ...args: string[]) {
  const r = await runCli([...args, '--url', db.url]);
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

describe('rollback to the baseline, then migrate', () => {
  it('every session comes back on its machine, every row as it was, and 0007 makes the same moves', async () => {
    const db = await studioDatabase();
    const before = await studio(db);
    // What the fixture is about: legacy moves, one session stuck, and sessions on each of the three machines.
    expect(before.placement).toEqual({
      A: 1,
      B: 2,
      C: 3,
      D: 1,
      cancelled: 1,
      completed: 1,
      H: 3,
      E: 2,
      F: 3,
      G: 1,
      K: 2,
    });
    expect(before.moves).toEqual([
      { session: 'B', from: 1, to: 2 },
      { session: 'C', from: 1, to: 3 },
    ]);
    expect(before.conflicts).toEqual([{ session: 'D', machine: 1 }]);

    await cli(db, 'rollback', '--to', BASELINE);
    // At the baseline, machines are gone, and the sessions have no machine column.
    const { rows } = await db.query<{ machines: string | null; machine_id: number }>(
      `SELECT to_regclass('machines')::text AS machines,
              (SELECT count(*)::int FROM information_schema.columns WHERE table_name = 'training_sessions' AND column_name = 'machine_id') AS machine_id`,
    );
    expect(rows).toEqual([{ machines: null, machine_id: 0 }]);
    await cli(db, 'migrate');
    expect(await studio(db)).toEqual(before);
  });

  it('a second cycle with a partial migrate in it (to 0008, then back to the baseline) gives them back too', async () => {
    const db = await studioDatabase();
    const before = await studio(db);
    await cli(db, 'rollback', '--to', BASELINE);
    await cli(db, 'migrate');
    expect(await studio(db)).toEqual(before);

    await cli(db, 'rollback', '--to', BASELINE);
    // Up to 0008 only: 0002 puts every session on Machine 1 and 0007 moves the overlapping ones to the lowest
    // free machine; nothing has read the machine numbers back yet.
    await cli(db, 'migrate', '--to', CALENDAR);
    const partial = await studio(db);
    expect(partial.placement).not.toEqual(before.placement);
    await cli(db, 'rollback', '--to', BASELINE);
    await cli(db, 'migrate');
    expect(await studio(db)).toEqual(before);
  });

  it('rolling everything back, the baseline included, still leaves an empty database', async () => {
    const db = await studioDatabase();
    await cli(db, 'rollback', '--to', BASELINE);
    await cli(db, 'rollback');
    const empty = await database('empty');
    expect(await wholeCatalog(db)).toEqual(await wholeCatalog(empty));
    expect(await dataSnapshot(db)).toEqual({});
  });
});
