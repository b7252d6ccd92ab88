import { randomBytes } from 'node:crypto';
import { adminQuery, withCredentials } from '@gym/testing/admin';
import { type AppIds, type AppQuery, appPool, createAppRole, NewApp, OldApp } from '@gym/testing/apps';
import { runCli } from '@gym/testing/cli';
import { createTestDatabase, type TestDatabase } from '@gym/testing/db';
import { migrateTo, rollbackTo } from '@gym/testing/migrate';
import { insertOldSchemaData, realisticOldSessions } from '@gym/testing/old-data';
import { parseJsonLines } from '@gym/testing/output';
import { archivedValues } from '@gym/testing/sql-file';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 9: a deploy that never breaks the running app. The old app (the six statements it sends, verbatim)
// runs before `db:migrate --pre-deploy`, through it and through the rollout; the new app (@gym/db) runs from
// the moment the pre-deploy step is done, through the rollout and `db:migrate` (the post-deploy step). Both as
// an application role that sees public only. Every query is recorded; none may fail.
const role = `gym_app_${randomBytes(3).toString('hex')}`;
const PASSWORD = 'app-role-pass';
let db: TestDatabase;
let appUrl: string;
let ids: AppIds;
const windows: Record<string, { from: number; to: number }> = {};
let oldApp: OldApp;
let newApp: NewApp;

async function cli(step: string, args: string[]) {
  const from = Date.now();
  const r = await runCli([...args, '--json', '--url', db.url]);
  windows[step] = { from, to: Date.now() };
  expect({ step, code: r.code, stderr: r.stderr }).toEqual({ step, code: 0, stderr: '' });
  return parseJsonLines(r.stdout);
}

function failures(queries: AppQuery[]) {
  return queries.filter((q) => !q.ok).map((q) => `${q.app} ${q.kind}: ${q.error}`);
}

/** Queries whose [sent, answered] overlaps a window. */
function during(queries: AppQuery[], w: { from: number; to: number }) {
  return queries.filter((q) => q.answered >= w.from && q.sent <= w.to);
}

beforeAll(async () => {
  db = await createTestDatabase('empty');
  await createAppRole(db.pool, role, PASSWORD);
  appUrl = withCredentials(db.url, role, PASSWORD);
  await migrateTo(db.url, '0001_machines');
  const loaded = await insertOldSchemaData(db, { trainers: 4, members: 60, sessions: realisticOldSessions(300) });
  const machines = (await db.query<{ id: string }>('SELECT id FROM machines ORDER BY machine_number')).rows;
  ids = {
    trainers: loaded.trainerIds,
    members: loaded.memberIds,
    machines: machines.map((m) => m.id),
    sessions: [...loaded.sessionIds],
  };

  const oldPool = appPool(appUrl);
  const newPool = appPool(appUrl);
  oldApp = new OldApp(oldPool, ids);
  newApp = new NewApp(newPool, ids);
  try {
    const t0 = Date.now();
    oldApp.start();
    await oldApp.ranSince(t0, 30);
    windows.before = { from: t0, to: Date.now() };

    // The US-002 release: through its contract step (0004), and no later release's migrations.
    await cli('preDeploy', ['migrate', '--pre-deploy', '--to', '0004_training_sessions_contract']);
    const rollout = Date.now();
    newApp.start();
    await Promise.all([oldApp.ranSince(rollout, 30), newApp.ranSince(rollout, 30)]);
    // The rollout is complete: the last old instance stops before the post-deploy step starts.
    await oldApp.stop();
    windows.rollout = { from: rollout, to: Date.now() };

    await cli('postDeploy', ['migrate', '--to', '0004_training_sessions_contract']);
    const after = Date.now();
    await newApp.ranSince(after, 30);
    await newApp.stop();
    windows.after = { from: after, to: Date.now() };
  } finally {
    await oldApp.stop();
    await newApp.stop();
    await oldPool.end();
    await newPool.end();
  }
});
afterAll(async () => {
  await db?.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

describe('pre-deploy, rollout, post-deploy with both apps running', () => {
  it('the old app ran before, through the pre-deploy step and through the rollout, and no query failed', () => {
    expect(failures(oldApp.queries)).toEqual([]);
    for (const w of ['before', 'preDeploy', 'rollout'])
      expect(during(oldApp.queries, windows[w]!).length, w).toBeGreaterThan(0);
    // Every one of its six statements ran after the pre-deploy step too, against the expanded schema.
    const afterPre = oldApp.queries.filter((q) => q.sent > windows.preDeploy!.to);
    expect(new Set(afterPre.map((q) => q.kind))).toEqual(
      new Set(['insert', 'select', 'update', 'calendar', 'history', 'book']),
    );
    // And none after the post-deploy step started.
    expect(oldApp.queries.filter((q) => q.answered > windows.postDeploy!.from)).toEqual([]);
  });

  it('the new app ran from the end of the pre-deploy step, through the rollout and the post-deploy step, and no query failed', () => {
    expect(failures(newApp.queries)).toEqual([]);
    for (const w of ['rollout', 'postDeploy', 'after'])
      expect(during(newApp.queries, windows[w]!).length, w).toBeGreaterThan(0);
    expect(newApp.queries.filter((q) => q.sent < windows.preDeploy!.to)).toEqual([]);
    expect(new Set(newApp.queries.map((q) => q.kind))).toEqual(
      new Set(['insert', 'select', 'update', 'calendar', 'history', 'book']),
    );
  });

  it('the schema is the final one, and the old app cannot see the archive', async () => {
    const { rows } = await db.query(
      `SELECT column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'training_sessions' AND column_name IN ('location', 'max_participants')`,
    );
    expect(rows).toEqual([]);
    const app = appPool(appUrl);
    try {
      await expect(
        app.query('SELECT count(*) FROM gym_migrations.training_sessions_us002_archive'),
      ).rejects.toMatchObject({
        code: '42501',
      });
    } finally {
      await app.end();
    }
  });

  it('sessions the old app wrote during the window keep their location and max_participants through the contract and its rollback', async () => {
    expect(oldApp.written.size).toBeGreaterThan(0);
    const archived = await archivedValues(db);
    for (const [id, w] of oldApp.written) {
      expect({ id, ...archived.get(id) }).toEqual({ id, max_participants: w.maxParticipants, location: w.location });
    }
    expect((await rollbackTo(db.url, '0003_session_functions')).rolledBack).toEqual([
      '0004_training_sessions_contract',
    ]);
    const { rows } = await db.query<{ id: string; location: string | null; max_participants: number | null }>(
      'SELECT id, location, max_participants FROM training_sessions WHERE id = ANY($1)',
      [[...oldApp.written.keys()]],
    );
    expect(rows).toHaveLength(oldApp.written.size);
    for (const r of rows) {
      const w = oldApp.written.get(r.id)!;
      expect(r).toEqual({ id: r.id, location: w.location, max_participants: w.maxParticipants });
    }
  });
});
