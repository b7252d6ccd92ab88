import { createTestDatabase, type TestDatabase } from '@gym/testing/db';
import { migrateTo } from '@gym/testing/migrate';
import { US002_CONTRACT } from '@gym/testing/release';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// US-002 AC-1 to AC-4 against the schema as its release left it (through its contract step), checked in the
// catalog itself; later releases' rules (0007's CHECKs and triggers) have suites of their own.
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('empty');
  await migrateTo(db.url, US002_CONTRACT);
});
afterAll(async () => {
  await db?.drop();
});

async function columns() {
  const { rows } = await db.query<{
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
  }>(
    `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = 'training_sessions'`,
  );
  return new Map(rows.map((r) => [r.column_name, r]));
}

async function machineId(n: number): Promise<string> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM machines WHERE machine_number = $1', [n]);
  return rows[0]!.id;
}

/** Views, functions and triggers, in every schema, whose definition mentions max_participants or location. */
async function mentionsOfDroppedColumns(q: Pick<TestDatabase['pool'], 'query'>): Promise<string[]> {
  // Every kind of view, every function and procedure, and every trigger (its WHEN clause, columns and
  // arguments; its function is checked with the functions), in every schema but the system's.
  const { rows } = await q.query<{ what: string }>(
    `SELECT 'view ' || c.oid::regclass::text AS what FROM pg_class c
      WHERE c.relkind IN ('v', 'm') AND c.relnamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')
        AND pg_get_viewdef(c.oid) ~* $1
     UNION ALL
     SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p
      WHERE p.pronamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema') AND p.prokind IN ('f', 'p')
        AND pg_get_functiondef(p.oid) ~* $1
     UNION ALL
     SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text FROM pg_trigger t
      WHERE NOT t.tgisinternal AND pg_get_triggerdef(t.oid) ~* $1
     ORDER BY 1`,
    ['(max_participants|\\mlocation\\M)'],
  );
  return rows.map((r) => r.what);
}

describe("training_sessions matches the seed's After Migration schema", () => {
  it('has exactly the After Migration columns, types and nullability', async () => {
    const cols = await columns();
    const expected: Record<string, [string, 'YES' | 'NO']> = {
      id: ['uuid', 'NO'],
      machine_id: ['uuid', 'NO'],
      trainer_id: ['uuid', 'YES'],
      scheduled_start: ['timestamp with time zone', 'NO'],
      scheduled_end: ['timestamp with time zone', 'NO'],
      status: ['text', 'YES'],
      current_participants: ['integer', 'YES'],
      notes: ['text', 'YES'],
      session_type: ['text', 'YES'],
      created_at: ['timestamp with time zone', 'YES'],
      updated_at: ['timestamp with time zone', 'YES'],
    };
    expect([...cols.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [type, nullable]] of Object.entries(expected)) {
      expect({ name, type: cols.get(name)!.data_type, nullable: cols.get(name)!.is_nullable }).toEqual({
        name,
        type,
        nullable,
      });
    }
    expect(cols.get('status')!.column_default).toBe("'scheduled'::text");
    expect(cols.get('current_participants')!.column_default).toBe('0');
    expect(cols.get('machine_id')!.column_default).toBeNull();
  });

  it('AC-1: max_participants and location are gone, and no view, function or trigger mentions them', async () => {
    const cols = await columns();
    expect(cols.has('max_participants')).toBe(false);
    expect(cols.has('location')).toBe(false);
    expect(await mentionsOfDroppedColumns(db)).toEqual([]);

    // The same query finds each kind of mention, in a schema of its own: a view, a function's body, and a
    // trigger's arguments (its function mentions neither).
    const c = await db.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`CREATE SCHEMA scratch;
        CREATE TABLE scratch.t (x int);
        CREATE VIEW scratch.v AS SELECT x AS location FROM scratch.t;
        CREATE FUNCTION scratch.f() RETURNS int LANGUAGE sql AS 'SELECT 1 AS max_participants';
        CREATE FUNCTION scratch.trg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
        CREATE TRIGGER t_args BEFORE INSERT ON scratch.t FOR EACH ROW EXECUTE FUNCTION scratch.trg('location')`);
      expect(await mentionsOfDroppedColumns(c)).toEqual([
        'function scratch.f()',
        'trigger t_args on scratch.t',
        'view scratch.v',
      ]);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });

  it('AC-2: a session can be created without a trainer', async () => {
    const { rows } = await db.query<{ trainer_id: string | null }>(
      `INSERT INTO training_sessions (machine_id, trainer_id, scheduled_start, scheduled_end, status)
       VALUES ($1, NULL, now(), now() + interval '30 minutes', 'scheduled') RETURNING trainer_id`,
      [await machineId(1)],
    );
    expect(rows[0]!.trainer_id).toBeNull();
  });

  it('AC-3: machine_id is required', async () => {
    await expect(
      db.query(
        `INSERT INTO training_sessions (scheduled_start, scheduled_end) VALUES (now(), now() + interval '1 hour')`,
      ),
    ).rejects.toMatchObject({ code: '23502', column: 'machine_id' });
  });

  it('AC-3: machine_id references machines(id), validated, ON DELETE RESTRICT', async () => {
    const { rows } = await db.query<{ conname: string; def: string; convalidated: boolean; confdeltype: string }>(
      `SELECT conname, pg_get_constraintdef(oid) AS def, convalidated, confdeltype FROM pg_constraint
        WHERE conrelid = 'training_sessions'::regclass AND contype = 'f' AND confrelid = 'machines'::regclass`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ convalidated: true, confdeltype: 'r' });
    expect(rows[0]!.def).toMatch(/FOREIGN KEY \(machine_id\) REFERENCES machines\(id\) ON DELETE RESTRICT/);
  });

  it('AC-3: an unknown machine_id is a foreign key violation (23503)', async () => {
    await expect(
      db.query(
        `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end)
         VALUES ('00000000-0000-0000-0000-000000000000', now(), now() + interval '30 minutes')`,
      ),
    ).rejects.toMatchObject({ code: '23503', constraint: 'training_sessions_machine_id_machines_id_fk' });
  });

  it('AC-3: a machine with sessions cannot be deleted (RESTRICT), one without can', async () => {
    const m2 = await machineId(2);
    await db.query(
      `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end) VALUES ($1, now(), now() + interval '1 hour')`,
      [m2],
    );
    // PostgreSQL 18 reports a violated ON DELETE RESTRICT as 23001 (restrict_violation); 15 and 17 as 23503.
    await expect(db.query('DELETE FROM machines WHERE id = $1', [m2])).rejects.toMatchObject({
      code: expect.stringMatching(/^(23001|23503)$/),
      constraint: 'training_sessions_machine_id_machines_id_fk',
    });
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query('DELETE FROM machines WHERE machine_number = 3');
      expect(rowCount).toBe(1);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('AC-4: the max_participants CHECK is gone and current_participants >= 0 remains', async () => {
    const { rows } = await db.query<{ conname: string; def: string }>(
      `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'training_sessions'::regclass AND contype = 'c'`,
    );
    expect(rows).toEqual([
      { conname: 'training_sessions_current_participants_check', def: 'CHECK ((current_participants >= 0))' },
    ]);
    await expect(
      db.query(
        `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end, current_participants)
         VALUES ($1, now(), now() + interval '1 hour', -1)`,
        [await machineId(1)],
      ),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('AC-4: a valid index leads with machine_id, and the planner uses it for one machine', async () => {
    const { rows } = await db.query<{ indexdef: string; indisvalid: boolean }>(
      `SELECT pg_get_indexdef(i.indexrelid) AS indexdef, i.indisvalid FROM pg_index i
        WHERE i.indrelid = 'training_sessions'::regclass
          AND i.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = 'training_sessions'::regclass AND attname = 'machine_id')`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.indisvalid).toBe(true);
    expect(rows[0]!.indexdef).toMatch(
      /idx_training_sessions_machine_id ON public\.training_sessions USING btree \(machine_id, scheduled_start\)/,
    );
    const client = await db.pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const { rows: plan } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM training_sessions WHERE machine_id = '00000000-0000-0000-0000-000000000001'`,
      );
      expect(plan.map((p) => p['QUERY PLAN']).join('\n')).toMatch(/idx_training_sessions_machine_id/);
    } finally {
      await client.query('RESET enable_seqscan');
      client.release();
    }
  });

  it("keeps the seed's column comments", async () => {
    const { rows } = await db.query<{ col: string; description: string }>(
      `SELECT a.attname AS col, col_description(a.attrelid, a.attnum) AS description FROM pg_attribute a
        WHERE a.attrelid = 'training_sessions'::regclass AND a.attname IN ('machine_id', 'trainer_id') ORDER BY 1`,
    );
    expect(rows).toEqual([
      { col: 'machine_id', description: 'Machine assigned to this session (1, 2, or 3)' },
      { col: 'trainer_id', description: 'Trainer assigned to session (optional until completion)' },
    ]);
  });

  it('keeps updated_at current on update', async () => {
    const { rows } = await db.query<{ id: string; updated_at: Date }>(
      `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end, updated_at)
       VALUES ($1, now(), now() + interval '1 hour', '2020-01-01') RETURNING id, updated_at`,
      [await machineId(1)],
    );
    const { rows: after } = await db.query<{ updated_at: Date }>(
      `UPDATE training_sessions SET notes = 'moved' WHERE id = $1 RETURNING updated_at`,
      [rows[0]!.id],
    );
    expect(after[0]!.updated_at.getTime()).toBeGreaterThan(new Date('2021-01-01').getTime());
  });

  it('leaves no US-002 migration machinery behind (capture trigger and function)', async () => {
    const { rows } = await db.query(
      `SELECT tgname FROM pg_trigger WHERE tgname = 'training_sessions_us002_capture'
       UNION ALL SELECT proname FROM pg_proc WHERE proname = 'training_sessions_us002_capture'`,
    );
    expect(rows).toEqual([]);
  });
});

describe('machines (US-001)', () => {
  it('is seeded with Machines 1, 2 and 3, available', async () => {
    const { rows } = await db.query('SELECT machine_number, name, is_available FROM machines ORDER BY machine_number');
    expect(rows).toEqual([
      { machine_number: 1, name: 'Machine 1', is_available: true },
      { machine_number: 2, name: 'Machine 2', is_available: true },
      { machine_number: 3, name: 'Machine 3', is_available: true },
    ]);
  });

  it('accepts only machine numbers 1 to 3, each once', async () => {
    await expect(db.query(`INSERT INTO machines (machine_number, name) VALUES (4, 'Machine 4')`)).rejects.toMatchObject(
      { code: '23514' },
    );
    await expect(db.query(`INSERT INTO machines (machine_number, name) VALUES (2, 'again')`)).rejects.toMatchObject({
      code: '23505',
    });
  });
});

describe('training_session_members', () => {
  it('accepts only the five booking statuses, and one booking per member and session', async () => {
    const { rows: s } = await db.query<{ id: string }>(
      `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end) VALUES ($1, now(), now() + interval '1 hour') RETURNING id`,
      [await machineId(1)],
    );
    const member = async (tag: string) =>
      (
        await db.query<{ id: string }>(
          `INSERT INTO members (first_name, last_name, email) VALUES ('A', 'B', $1) RETURNING id`,
          [`status-${tag}@gym.test`],
        )
      ).rows[0]!.id;
    const book = async (memberId: string, status: string) =>
      db.query(`INSERT INTO training_session_members (session_id, member_id, booking_status) VALUES ($1, $2, $3)`, [
        s[0]!.id,
        memberId,
        status,
      ]);
    // Each of the five, one member each (one session holds one confirmed booking; the others do not count).
    for (const status of ['confirmed', 'waitlisted', 'cancelled', 'no_show', 'attended']) {
      await book(await member(status), status);
    }
    const { rows } = await db.query<{ booking_status: string }>(
      'SELECT booking_status FROM training_session_members WHERE session_id = $1 ORDER BY 1',
      [s[0]!.id],
    );
    expect(rows.map((r) => r.booking_status)).toEqual(['attended', 'cancelled', 'confirmed', 'no_show', 'waitlisted']);
    // Anything else, near misses included, is a CHECK violation; NULL is refused by NOT NULL.
    for (const status of ['maybe', 'Confirmed', 'confirmed ', 'no-show', 'pending', '']) {
      await expect(
        book(await member(`bad-${rows.length}-${status.length}-${status}`), status),
        status,
      ).rejects.toMatchObject({
        code: '23514',
        constraint: 'training_session_members_booking_status_check',
      });
    }
    // NULL on an empty session (on this one the capacity trigger, which runs first, would refuse it as full).
    const { rows: empty } = await db.query<{ id: string }>(
      `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end) VALUES ($1, now(), now() + interval '1 hour') RETURNING id`,
      [await machineId(2)],
    );
    await expect(
      db.query(`INSERT INTO training_session_members (session_id, member_id, booking_status) VALUES ($1, $2, NULL)`, [
        empty[0]!.id,
        await member('null'),
      ]),
    ).rejects.toMatchObject({ code: '23502', column: 'booking_status' });
    // One booking per member and session, whatever the status.
    const again = await member('again');
    await book(again, 'waitlisted');
    await expect(book(again, 'attended')).rejects.toMatchObject({ code: '23505' });
  });
});
