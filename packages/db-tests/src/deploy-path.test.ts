import { runCli } from '@gym/testing/cli';
import { createTestDatabase, type TestDatabase } from '@gym/testing/db';
import { insertOldSchemaData, realisticOldSessions } from '@gym/testing/old-data';
import { US002_CONTRACT } from '@gym/testing/release';
import { rowsById } from '@gym/testing/snapshot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 2's "done when", through the real CLI exactly as `pnpm db:*` runs it (tsx on the TypeScript source;
// the other suites start its compiled build) with DATABASE_URL set.
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('empty');
});
afterAll(async () => {
  await db?.drop();
});

async function cli(...args: string[]) {
  const r = await runCli(args, { DATABASE_URL: db.url }, 'source');
  expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
  return r.stdout;
}

describe('migrate to 0001, load old sessions, migrate, roll back, migrate again', () => {
  it('keeps every row, puts old sessions on Machine 1, gives the old values back, then the machines', async () => {
    expect(await cli('migrate', '--to', '0001_machines')).toMatch(/applied\s+0001_machines/);
    await insertOldSchemaData(db, { trainers: 4, members: 100, sessions: realisticOldSessions(800) });
    const old = await rowsById(db, 'training_sessions');

    // The US-002 release (through its contract step): 0007 would move its overlapping sessions off Machine 1.
    const up = await cli('migrate', '--to', US002_CONTRACT);
    expect(up).toMatch(/applied\s+0002_training_sessions_machines \(/);
    expect(up).toMatch(/applied\s+0003_session_functions \(/);
    const { rows: onMachine1 } = await db.query(
      `SELECT count(*)::int AS n FROM training_sessions ts JOIN machines m ON m.id = ts.machine_id WHERE m.machine_number = 1`,
    );
    expect(onMachine1[0]).toEqual({ n: old.size });
    expect(await cli('migrate', '--to', US002_CONTRACT)).toMatch(/nothing to migrate/);

    await db.query(`UPDATE training_sessions SET machine_id = (SELECT id FROM machines WHERE machine_number = 3)
                     WHERE id IN (SELECT id FROM training_sessions ORDER BY id LIMIT 100)`);
    const moved = await rowsById(db, 'training_sessions');

    const down = await cli('rollback', '--to', '0001_machines');
    expect(down).toMatch(/rolled back 0003_session_functions/);
    expect(down).toMatch(/rolled back 0002_training_sessions_machines/);
    const restored = await rowsById(db, 'training_sessions', ['updated_at']);
    for (const [id, row] of old) {
      const { updated_at: _u, ...rest } = row;
      expect(restored.get(id)).toEqual(rest);
    }

    await cli('migrate', '--to', US002_CONTRACT);
    expect(await rowsById(db, 'training_sessions')).toEqual(moved);

    const status = await cli('status');
    for (const tag of ['0000_baseline', '0001_machines', '0002_training_sessions_machines', '0003_session_functions']) {
      expect(status).toMatch(new RegExp(`${tag}\\s+applied\\s+\\d{4}-\\d\\d-\\d\\dT`));
    }
  });
});
