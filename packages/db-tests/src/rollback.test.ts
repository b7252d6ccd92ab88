import { status } from '@gym/migrate';
import { migrateTo, rollbackTo } from '@gym/testing/migrate';
import { insertOldSchemaData, realisticOldSessions } from '@gym/testing/old-data';
import { allTags, US002_CONTRACT, US002_TAGS } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { catalogSnapshot, dataSnapshot, rowsById } from '@gym/testing/snapshot';
import { archivedValues, runSqlFileByHand } from '@gym/testing/sql-file';
import { waitFor } from '@gym/testing/wait';
import { describe, expect, it } from 'vitest';

const { database } = perTestResources();

/** 0002's rollback keeps machine assignments here, out of public, until 0002 is migrated up again. */
const MACHINE_ARCHIVE = 'gym_migrations.training_sessions_us002_machine_archive';

/**
 * The whole catalog but the machine archive (and the schema that holds it), which 0002's rollback keeps on
 * purpose; expectMachineArchive asserts it apart.
 */
function withoutMachineArchive(catalog: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(catalog).map(([kind, rows]) => [
      kind,
      rows.filter(
        (r) => !r.includes('training_sessions_us002_machine_archive') && !r.startsWith('gym_migrations owner='),
      ),
    ]),
  );
}
async function expectMachineArchive(db: Parameters<typeof catalogSnapshot>[0]): Promise<void> {
  const { relations } = await catalogSnapshot(db);
  // Kept, and locked: its owner (whoever migrates) is the only grantee.
  expect(relations).toContainEqual(
    expect.stringMatching(new RegExp(`^${MACHINE_ARCHIVE} kind=r .* acl=(\\w+)=[A-Z]+(,\\1=[A-Z]+)*$`)),
  );
}
function oldTables(d: Record<string, string[]>) {
  const keep = [
    'public.trainers',
    'public.members',
    'public.training_sessions',
    'public.training_session_members',
    'public.machines',
  ];
  return Object.fromEntries(keep.map((t) => [t, d[t]]));
}

describe('0002 to 0004 round trip: up, down, up', () => {
  it('gives back the old schema and values, then every session its machine, every row exact', async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    await insertOldSchemaData(db, { trainers: 5, members: 200, sessions: realisticOldSessions(1500) });
    const catalogAt0001 = await catalogSnapshot(db);
    const dataAt0001 = await dataSnapshot(db);
    const sessionsAt0001 = await rowsById(db, 'training_sessions');

    await migrateTo(db.url, US002_CONTRACT);
    // The studio reassigns sessions after the migration (the seed: "Admins can reassign").
    await db.query(`UPDATE training_sessions SET machine_id = (SELECT id FROM machines WHERE machine_number = 2)
                     WHERE extract(minute FROM scheduled_start)::int % 3 = 1`);
    await db.query(`UPDATE training_sessions SET machine_id = (SELECT id FROM machines WHERE machine_number = 3)
                     WHERE extract(minute FROM scheduled_start)::int % 3 = 2`);
    const upSessions = await rowsById(db, 'training_sessions');
    const upData = await dataSnapshot(db);
    expect(new Set([...upSessions.values()].map((s) => s.machine_id)).size).toBe(3);

    expect((await rollbackTo(db.url, '0001_machines')).rolledBack).toEqual([
      '0004_training_sessions_contract',
      '0003_session_functions',
      '0002_training_sessions_machines',
    ]);
    expect(withoutMachineArchive(await catalogSnapshot(db))).toEqual(catalogAt0001);
    await expectMachineArchive(db);
    // Sessions are as they were just before the rollback (updated_at of the reassigned ones included),
    // minus machine_id, plus the archived max_participants and location; the other tables are as at 0001.
    const down = await rowsById(db, 'training_sessions');
    expect(down.size).toBe(sessionsAt0001.size);
    for (const [id, up] of upSessions) {
      const { machine_id: _m, ...kept } = up;
      const old = sessionsAt0001.get(id)!;
      expect(down.get(id)).toEqual({ ...kept, max_participants: old.max_participants, location: old.location });
    }
    const { 'public.training_sessions': _s, ...otherTables } = oldTables(await dataSnapshot(db));
    const { 'public.training_sessions': _s0, ...otherTablesAt0001 } = oldTables(dataAt0001);
    expect(otherTables).toEqual(otherTablesAt0001);
    const trainerNotNull = await db.query(
      `SELECT is_nullable FROM information_schema.columns WHERE table_name = 'training_sessions' AND column_name = 'trainer_id'`,
    );
    expect(trainerNotNull.rows[0]).toEqual({ is_nullable: 'NO' });

    await migrateTo(db.url, US002_CONTRACT);
    expect(await rowsById(db, 'training_sessions')).toEqual(upSessions);
    const again = await dataSnapshot(db);
    for (const table of [
      'public.training_sessions',
      'public.training_session_members',
      'public.trainers',
      'public.members',
    ]) {
      expect(again[table]).toEqual(upData[table]);
    }
    const leftovers = await db.query(`SELECT to_regclass('${MACHINE_ARCHIVE}') AS t`);
    expect(leftovers.rows[0]).toEqual({ t: null });
  });

  it('round-trips a session booked after the migration, with default max_participants and no location', async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    await migrateTo(db.url, US002_CONTRACT);
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO trainers (first_name, last_name, email) VALUES ('T', 'R', 't@gym.test') RETURNING id`,
    );
    await db.query(
      `INSERT INTO training_sessions (machine_id, trainer_id, scheduled_start, scheduled_end)
       SELECT id, $1, now(), now() + interval '1 hour' FROM machines WHERE machine_number = 3`,
      [rows[0]!.id],
    );
    await rollbackTo(db.url, '0001_machines');
    const old = await db.query('SELECT max_participants, location FROM training_sessions');
    expect(old.rows).toEqual([{ max_participants: 1, location: null }]);
    await migrateTo(db.url, US002_CONTRACT);
    const back = await db.query(
      'SELECT m.machine_number FROM training_sessions ts JOIN machines m ON m.id = ts.machine_id',
    );
    expect(back.rows).toEqual([{ machine_number: 3 }]);
  });
});

describe('rolling back the expand step (0003, 0002) alone', () => {
  it('restores nothing but the catalog: every row is as it was, and only the machine assignments are kept', async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    await insertOldSchemaData(db, { trainers: 3, members: 40, sessions: realisticOldSessions(200) });
    const catalogAt0001 = await catalogSnapshot(db);
    await migrateTo(db.url, '0003_session_functions');
    await db.query(`UPDATE training_sessions SET machine_id = (SELECT id FROM machines WHERE machine_number = 2)
                     WHERE id IN (SELECT id FROM training_sessions ORDER BY id LIMIT 25)`);
    const expanded = await rowsById(db, 'training_sessions');

    expect((await rollbackTo(db.url, '0001_machines')).rolledBack).toEqual([
      '0003_session_functions',
      '0002_training_sessions_machines',
    ]);
    expect(withoutMachineArchive(await catalogSnapshot(db))).toEqual(catalogAt0001);
    await expectMachineArchive(db);
    // Nothing was dropped by the expand step, so its rollback rewrote nothing: each row is the expanded one
    // (location and max_participants included) without machine_id.
    const down = await rowsById(db, 'training_sessions');
    expect(down.size).toBe(expanded.size);
    for (const [id, row] of expanded) {
      const { machine_id: _m, ...kept } = row;
      expect(down.get(id)).toEqual(kept);
    }
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${MACHINE_ARCHIVE}`);
    expect(rows).toEqual([{ n: 25 }]);
    await migrateTo(db.url, '0003_session_functions');
    expect(await rowsById(db, 'training_sessions')).toEqual(expanded);
  });
});

/** A database the US-002 release left: migrated through its contract step (0004), and no further. */
async function us002Database() {
  const db = await database('empty');
  await migrateTo(db.url, US002_CONTRACT);
  return db;
}

describe('rollback refusals and defaults', () => {
  it('refuses to roll back 0002 while a session has no trainer, and changes nothing', async () => {
    const db = await us002Database();
    await db.query(
      `INSERT INTO training_sessions (machine_id, scheduled_start, scheduled_end)
       SELECT id, now(), now() + interval '1 hour' FROM machines WHERE machine_number = 1`,
    );
    await rollbackTo(db.url, '0002_training_sessions_machines'); // 0004 and 0003 first: the refusal concerns 0002
    const catalog = await catalogSnapshot(db);
    const data = await dataSnapshot(db);
    await expect(rollbackTo(db.url)).rejects.toMatchObject({
      exitCode: 1,
      sqlState: 'GYM02',
      message: expect.stringMatching(/1 training session\(s\) have no trainer/),
      hint: expect.stringMatching(/Assign a trainer/),
    });
    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await dataSnapshot(db)).toEqual(data);
  });

  it('rolls back only the last migration by default, and that one can be applied again', async () => {
    const db = await us002Database();
    expect((await rollbackTo(db.url)).rolledBack).toEqual(['0004_training_sessions_contract']);
    const { rows } = await status({ url: db.url });
    expect(rows.map((r) => `${r.tag}:${r.state}`)).toEqual(
      allTags.map((t) => `${t}:${US002_TAGS.slice(0, -1).includes(t) ? 'applied' : 'pending'}`),
    );
    const fn = await db.query(
      `SELECT to_regprocedure('check_trainer_availability(uuid, timestamptz, timestamptz, uuid)')::text AS f`,
    );
    expect(fn.rows[0]!.f).not.toBeNull();
    expect((await migrateTo(db.url, US002_CONTRACT)).applied).toEqual(['0004_training_sessions_contract']);
  });

  it('rolling back 0009 refuses (GYM08) while booking_rules holds limits an admin set, and changes nothing', async () => {
    const db = await database('template');
    await db.query('UPDATE booking_rules SET max_slot_minutes = 60, max_active_bookings_per_member = 2');
    const [catalog, data] = [await catalogSnapshot(db), await dataSnapshot(db)];
    await expect(rollbackTo(db.url, '0008_training_sessions_calendar')).rejects.toMatchObject({
      sqlState: 'GYM08',
      message: expect.stringContaining('booking_rules holds limits an admin set, and the rollback would lose them'),
    });
    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await dataSnapshot(db)).toEqual(data);
    await db.query('UPDATE booking_rules SET max_slot_minutes = 120, max_active_bookings_per_member = 8');
    expect((await rollbackTo(db.url, '0008_training_sessions_calendar')).rolledBack).toContain(
      '0009_security_invariants',
    );
  });

  it('every rollback file works: latest down to the baseline gives the baseline catalog', async () => {
    const fresh = await database('empty');
    await migrateTo(fresh.url, '0000_baseline');
    const baseline = await catalogSnapshot(fresh);
    const db = await database('template');
    expect((await rollbackTo(db.url, '0000_baseline')).rolledBack).toHaveLength(allTags.length - 1);
    expect(await catalogSnapshot(db)).toEqual(baseline);
  });
});

describe('changes made while 0004 (the contract) runs are not lost', () => {
  it('an update and an insert after the bulk copy reach the archive and come back on rollback', async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    const { sessionIds, trainerIds } = await insertOldSchemaData(db, {
      trainers: 2,
      members: 10,
      sessions: realisticOldSessions(400),
    });
    await migrateTo(db.url, '0003_session_functions');
    const first = sessionIds[0]!;
    let acted = false;
    let newSession = '';
    await runSqlFileByHand(db.pool, '0004_training_sessions_contract', async (statement) => {
      if (acted || !statement.includes("'copy' FROM training_sessions")) return;
      acted = true;
      // An old app instance that is still running writes between the bulk copy and the column drop.
      await db.query(
        `UPDATE training_sessions SET location = 'Moved to the annex', max_participants = 3 WHERE id = $1`,
        [first],
      );
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO training_sessions (trainer_id, scheduled_start, scheduled_end, location, max_participants)
         VALUES ($1, now(), now() + interval '1 hour', 'Pop-up studio', 4) RETURNING id`,
        [trainerIds[0]],
      );
      newSession = rows[0]!.id;
    });
    expect(acted).toBe(true);
    const archived = await archivedValues(db);
    expect(archived.get(first)).toEqual({ max_participants: 3, location: 'Moved to the annex' });
    expect(archived.get(newSession)).toEqual({ max_participants: 4, location: 'Pop-up studio' });
    expect(archived.size).toBe(401);
    // The by-hand run did not record itself; record it as the migrator would have, then roll back.
    await migrateTo(db.url, US002_CONTRACT);
    await rollbackTo(db.url, '0001_machines');
    const { rows } = await db.query(
      `SELECT id, max_participants, location FROM training_sessions WHERE id = ANY($1) ORDER BY location`,
      [[first, newSession]],
    );
    expect(rows).toEqual([
      { id: first, max_participants: 3, location: 'Moved to the annex' },
      { id: newSession, max_participants: 4, location: 'Pop-up studio' },
    ]);
  });
});

describe('every migration is idempotent by hand (psql -f semantics)', () => {
  it('running 0002, 0003 and 0004 each twice, in order, changes nothing the second time', async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    await insertOldSchemaData(db, { trainers: 3, members: 50, sessions: realisticOldSessions(300) });
    for (const tag of [
      '0002_training_sessions_machines',
      '0003_session_functions',
      '0004_training_sessions_contract',
    ]) {
      await runSqlFileByHand(db.pool, tag);
      const catalog = await catalogSnapshot(db);
      // The data snapshot covers every schema: the archive in gym_migrations included, from 0004 on.
      const data = await dataSnapshot(db);
      await runSqlFileByHand(db.pool, tag);
      expect(await catalogSnapshot(db), tag).toEqual(catalog);
      expect(await dataSnapshot(db), tag).toEqual(data);
    }
  });

  it('0001_machines, run again by hand, changes nothing either (US-001 was applied by hand in the old app)', async () => {
    const db = await database('template');
    const catalog = await catalogSnapshot(db);
    const data = await dataSnapshot(db);
    await runSqlFileByHand(db.pool, '0001_machines');
    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await dataSnapshot(db)).toEqual(data);
  });

  it("by hand, an old snapshot longer than the file's 2 s lock_timeout does not cancel the concurrent index build", async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    await insertOldSchemaData(db, { trainers: 2, members: 20, sessions: realisticOldSessions(100) });
    const report = await db.pool.connect();
    try {
      await report.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await report.query('SELECT 1');
      const run = runSqlFileByHand(db.pool, '0002_training_sessions_machines').then(
        () => 'completed',
        (err: Error) => err.message,
      );
      await waitFor(
        'the index build to wait for the old snapshot',
        async () =>
          (
            await db.query(
              `SELECT 1 FROM pg_stat_progress_create_index WHERE phase = 'waiting for old snapshots' AND datname = current_database()`,
            )
          ).rows[0],
      );
      // Longer than the lock_timeout the file sets for itself (2 s): without lifting it, the build is cancelled.
      await new Promise((r) => setTimeout(r, 2500));
      await report.query('COMMIT');
      expect(await run).toBe('completed');
      const { rows } = await db.query(
        `SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_training_sessions_machine_id'::regclass`,
      );
      expect(rows).toEqual([{ indisvalid: true }]);
    } finally {
      report.release();
    }
  });

  it('running 0002 and 0003 again after 0004 does not undo the contract', async () => {
    const db = await us002Database();
    const catalog = await catalogSnapshot(db);
    await runSqlFileByHand(db.pool, '0002_training_sessions_machines');
    await runSqlFileByHand(db.pool, '0003_session_functions');
    expect(await catalogSnapshot(db)).toEqual(catalog);
  });
});
