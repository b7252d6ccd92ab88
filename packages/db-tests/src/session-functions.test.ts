import { createDb, type Database, machines, trainingSessionsCalendar } from '@gym/db';
import { createTestDatabase, type TestDatabase } from '@gym/testing/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// US-003 (0003_session_functions): the booking function, the capacity trigger and the calendar view.
let db: TestDatabase;
let orm: Database;
let machine: Record<1 | 2 | 3, string>;
let memberA: string;
let memberB: string;
let trainer: string;

beforeAll(async () => {
  db = await createTestDatabase();
  orm = createDb(db.pool);
  const rows = await orm.select().from(machines);
  machine = Object.fromEntries(rows.map((m) => [m.machineNumber, m.id])) as Record<1 | 2 | 3, string>;
  const m = await db.query<{ id: string }>(
    `INSERT INTO members (first_name, last_name, email) VALUES ('Ada', 'L', 'ada@gym.test'), ('Bo', 'K', 'bo@gym.test') RETURNING id`,
  );
  [memberA, memberB] = [m.rows[0]!.id, m.rows[1]!.id];
  const t = await db.query<{ id: string }>(
    `INSERT INTO trainers (first_name, last_name, email) VALUES ('Tom', 'T', 'tom@gym.test') RETURNING id`,
  );
  trainer = t.rows[0]!.id;
});
afterAll(async () => {
  await db?.drop();
});

const start = '2026-12-01T09:00:00Z';
const end = '2026-12-01T09:45:00Z';

function book(args: {
  machine: string | null;
  member: string | null;
  start?: string;
  end?: string;
  trainer?: string | null;
}) {
  return db.query<{ id: string }>(
    `SELECT create_training_session_with_members(p_machine_id => $1, p_member_id => $2, p_scheduled_start => $3,
                                                 p_scheduled_end => $4, p_trainer_id => $5) AS id`,
    [args.machine, args.member, args.start ?? start, args.end ?? end, args.trainer ?? null],
  );
}

describe('create_training_session_with_members', () => {
  it('creates a session on a machine with one confirmed booking, trainer optional', async () => {
    const { rows } = await book({ machine: machine[2], member: memberA });
    const id = rows[0]!.id;
    const s = await db.query(
      'SELECT machine_id, trainer_id, status, current_participants FROM training_sessions WHERE id = $1',
      [id],
    );
    expect(s.rows).toEqual([
      { machine_id: machine[2], trainer_id: null, status: 'scheduled', current_participants: 1 },
    ]);
    const b = await db.query('SELECT member_id, booking_status FROM training_session_members WHERE session_id = $1', [
      id,
    ]);
    expect(b.rows).toEqual([{ member_id: memberA, booking_status: 'confirmed' }]);
  });

  it('takes a trainer when given one', async () => {
    const { rows } = await book({ machine: machine[1], member: memberB, trainer });
    const s = await db.query('SELECT trainer_id FROM training_sessions WHERE id = $1', [rows[0]!.id]);
    expect(s.rows[0]!.trainer_id).toBe(trainer);
  });

  it('raises 23503 for a machine that does not exist', async () => {
    await expect(book({ machine: '00000000-0000-0000-0000-000000000000', member: memberA })).rejects.toMatchObject({
      code: '23503',
      message: expect.stringMatching(/machine .* does not exist/),
    });
  });

  it('raises 55000 for a machine that is not available, and creates nothing', async () => {
    await db.query('UPDATE machines SET is_available = false WHERE id = $1', [machine[3]]);
    const before = await db.query('SELECT count(*) FROM training_sessions');
    try {
      await expect(book({ machine: machine[3], member: memberA })).rejects.toMatchObject({
        code: '55000',
        message: expect.stringMatching(/not available/),
      });
    } finally {
      await db.query('UPDATE machines SET is_available = true WHERE id = $1', [machine[3]]);
    }
    expect((await db.query('SELECT count(*) FROM training_sessions')).rows).toEqual(before.rows);
  });

  it('raises 22004 without a member and 22023 when the end is not after the start', async () => {
    await expect(book({ machine: machine[1], member: null })).rejects.toMatchObject({ code: '22004' });
    await expect(book({ machine: machine[1], member: memberA, start: end, end: start })).rejects.toMatchObject({
      code: '22023',
    });
  });

  it('has the US-003 signature: machine and one member first, trainer optional, no location', async () => {
    const { rows } = await db.query<{ args: string }>(
      `SELECT pg_get_function_arguments(oid) AS args FROM pg_proc WHERE proname = 'create_training_session_with_members'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.args).toBe(
      'p_machine_id uuid, p_member_id uuid, p_scheduled_start timestamp with time zone, p_scheduled_end timestamp with time zone, ' +
        'p_trainer_id uuid DEFAULT NULL::uuid, p_session_type text DEFAULT NULL::text, p_notes text DEFAULT NULL::text',
    );
  });
});

describe('the capacity trigger', () => {
  it('refuses a second confirmed booking on a session (capacity 1), and allows a waitlisted one', async () => {
    const { rows } = await book({
      machine: machine[1],
      member: memberA,
      start: '2026-12-02T09:00:00Z',
      end: '2026-12-02T10:00:00Z',
    });
    const id = rows[0]!.id;
    await expect(
      db.query(
        `INSERT INTO training_session_members (session_id, member_id, booking_status) VALUES ($1, $2, 'confirmed')`,
        [id, memberB],
      ),
    ).rejects.toMatchObject({ code: '23514', message: expect.stringMatching(/is full \(1 of 1/) });
    await db.query(
      `INSERT INTO training_session_members (session_id, member_id, booking_status) VALUES ($1, $2, 'waitlisted')`,
      [id, memberB],
    );
    await expect(
      db.query(
        `UPDATE training_session_members SET booking_status = 'confirmed' WHERE session_id = $1 AND member_id = $2`,
        [id, memberB],
      ),
    ).rejects.toMatchObject({ code: '23514' });
  });
});

describe('trainer-availability helpers', () => {
  it('check_trainer_availability is gone', async () => {
    const { rows } = await db.query(`SELECT proname FROM pg_proc WHERE proname = 'check_trainer_availability'`);
    expect(rows).toEqual([]);
  });
});

describe('training_sessions_calendar', () => {
  it('shows the machine, "Unassigned" without a trainer, confirmed count and participants, typed through Drizzle', async () => {
    const { rows } = await book({
      machine: machine[2],
      member: memberB,
      start: '2026-12-03T09:00:00Z',
      end: '2026-12-03T10:00:00Z',
    });
    const [row] = await orm.select().from(trainingSessionsCalendar).where(eq(trainingSessionsCalendar.id, rows[0]!.id));
    expect(row).toMatchObject({
      machineId: machine[2],
      machineNumber: 2,
      machineName: 'Machine 2',
      machineAvailable: true,
      trainerId: null,
      trainerName: 'Unassigned',
      currentParticipants: 1,
      // Since 0008_training_sessions_calendar: the app screens' shape (issue 8).
      participants: [{ id: memberB, name: 'Bo K', email: 'bo@gym.test' }],
    });
    expect(row!.scheduledStart).toEqual(new Date('2026-12-03T09:00:00Z'));
    expect(row!.createdAt).toBeInstanceOf(Date);
    expect(row!.updatedAt).toBeInstanceOf(Date);
  });

  it("shows the trainer's name when there is one, and counts only confirmed bookings", async () => {
    const { rows } = await book({
      machine: machine[1],
      member: memberA,
      trainer,
      start: '2026-12-04T09:00:00Z',
      end: '2026-12-04T10:00:00Z',
    });
    await db.query(`UPDATE training_session_members SET booking_status = 'cancelled' WHERE session_id = $1`, [
      rows[0]!.id,
    ]);
    const [row] = await orm.select().from(trainingSessionsCalendar).where(eq(trainingSessionsCalendar.id, rows[0]!.id));
    expect(row).toMatchObject({ trainerName: 'Tom T', currentParticipants: 0, machineNumber: 1 });
    // Only confirmed bookings are participants (since 0008_training_sessions_calendar).
    expect(row!.participants).toEqual([]);
  });
});
