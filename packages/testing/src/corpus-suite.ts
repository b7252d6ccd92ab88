import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writesMigrationsTable } from '@gym/migrate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from './cli';
import {
  CORPUS_ROWS,
  CorpusApp,
  columnsOf,
  copyDbPackage,
  generate,
  type LockWait,
  LockWatch,
  loadCorpusRows,
  rowHashes,
  statementsOf,
  tableChecksum,
  type Workspace,
} from './corpus';
import { baseEdit, type CorpusCase, type RefusalCase } from './corpus-cases';
import { createTestDatabase, type TestDatabase } from './db';
import { catalogSnapshot, withoutMigrationArchives } from './snapshot';
import { wholeCatalog } from './whole-catalog';

/** The migrator's lock_timeout in the corpus. */
export const CORPUS_LOCK_TIMEOUT_MS = 200;

/**
 * The app's lock_timeout: only a guard, so that a migration gone wrong fails the app's queries (and the case)
 * instead of hanging it. Nothing rests on it being short: how the app may wait on the migrator is proven from
 * lock states (unexplainedWaits), not by timing.
 */
export const CORPUS_APP_LOCK_GUARD_MS = 30_000;

/** A statement of the files, and how long its step says it holds its lock (the plan's `holds`). */
export interface StatementLabel {
  sql: string;
  /** With its comments (a file's header): pg_stat_activity's query may be cut before the SQL begins. */
  raw: string;
  holds: string;
}

/** Statements compared as pg_stat_activity shows them: without comment lines, whitespace collapsed. */
const collapsed = (sql: string) => sql.replace(/\s+/g, ' ').trim();

function normalized(sql: string): string {
  return sql
    .replace(/^\s*--[^\n]*$/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}

// Statements the migrator runs itself around the files' (its transaction, lock_timeout, journal row, security
// gate's catalog reads): none reads an app table.
const MIGRATOR_OWN = /^(BEGIN|COMMIT|ROLLBACK|SET |RESET |SELECT )/;
const migratorOwn = (sql: string) => MIGRATOR_OWN.test(sql) || writesMigrationsTable(sql);
// The two guards a no-transaction file starts with: no step of the plan, and no lock on a table.
const FILE_GUARD = /now\(\) <> statement_timestamp\(\)|set_config\('lock_timeout'/;

/**
 * Each statement of the files with the lock-hold its step claims in the plan (--dry-run --json), matched by
 * text; `unlabeled` lists any statement of the files the plan has no step for.
 */
export function statementLabels(
  files: string[],
  planned: Record<string, unknown>[],
): { labels: StatementLabel[]; unlabeled: string[] } {
  const holds = new Map<string, string>();
  for (const e of planned) {
    if (e.event !== 'statement') continue;
    for (const step of e.steps as { sql: string; holds: string }[]) holds.set(normalized(step.sql), step.holds);
  }
  const labels: StatementLabel[] = [];
  const unlabeled: string[] = [];
  for (const f of files) {
    for (const s of statementsOf(f)) {
      const sql = normalized(s);
      const h = holds.get(sql) ?? (FILE_GUARD.test(sql) ? 'catalog only: a guard' : undefined);
      if (h === undefined) unlabeled.push(sql.slice(0, 120));
      else labels.push({ sql, raw: collapsed(s), holds: h });
    }
  }
  return { labels, unlabeled };
}

/** The statements of the files that pg_stat_activity's query (at most track_activity_query_size) may be. */
function matching(labels: StatementLabel[], query: string): StatementLabel[] {
  const q = normalized(query);
  // Cut inside a file's header comments: only the comments are left to match.
  if (!q) return labels.filter((l) => l.raw.startsWith(collapsed(query)) && collapsed(query) !== '');
  return labels.filter((l) => l.sql.startsWith(q));
}

/**
 * The app's waits on the migrator that its lock_timeout does not bound: an app query may wait on the migrator
 * only (1) behind a lock request of the migrator's that is itself waiting (pg_stat_activity: wait_event_type
 * Lock), which the migrator's lock_timeout cancels; (2) on a lock it holds while it runs (or last ran, idle in
 * its transaction) a statement whose step holds its lock for catalog changes only, or one of its own
 * bookkeeping statements; (3) on a row a committed batch is updating. A wait on anything else (a scan, a
 * non-concurrent build, a rewrite under a lock the app needs, a statement the plan does not know) is
 * returned, whatever its length.
 */
export function unexplainedWaits(waits: LockWait[], labels: StatementLabel[]) {
  return waits
    .filter((w) => {
      if (w.blockerQueued) return false;
      const q = normalized(w.blockerQuery);
      const matches = matching(labels, w.blockerQuery);
      if (!matches.length) return !migratorOwn(q);
      const rowLock = w.locktype === 'transactionid' || w.locktype === 'tuple';
      return !matches.every((m) => /^catalog only/.test(m.holds) || (rowLock && /^committed batches/.test(m.holds)));
    })
    .map((w) => ({
      locktype: w.locktype,
      mode: w.mode,
      relation: w.relation,
      migrator: `${w.blockerState}: ${normalized(w.blockerQuery).slice(0, 160)}`,
      holds: matching(labels, w.blockerQuery).map((l) => l.holds),
      waitedMs: Math.round(w.waitedMs),
    }));
}

const squawk = path.join(repoRoot, 'packages/db/node_modules/.bin/squawk');
const squawkConfig = path.join(repoRoot, 'packages/generate/squawk.toml');

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function migrateArgs(ws: Workspace, url: string): string[] {
  return ['--migrations', ws.migrations, '--url', url, '--lock-timeout', `${CORPUS_LOCK_TIMEOUT_MS}ms`];
}

/**
 * The corpus of issue 19, as vitest suites: each case edits a copy of the schema, runs gym-generate, and
 * applies the result with `migrate --pre-deploy` then `migrate` to a copy of a database of CORPUS_ROWS
 * sessions while an app reads and writes them. For each: no app query fails, no app query waits on the
 * migrator but behind its queued lock requests (which its lock_timeout ends), on its catalog-only steps, or on
 * a batch's rows (pg_locks, pg_stat_activity; unexplainedWaits), the catalog equals what drizzle-kit's own SQL
 * gives on an empty database, running every file again changes nothing, a second db:generate finds nothing,
 * squawk passes, and the rollback restores the catalog and every row.
 */
export function describeCorpus(label: string, cases: CorpusCase[], refusals: RefusalCase[] = []): void {
  describe(`safe generate corpus (${label}), ${CORPUS_ROWS} sessions`, () => {
    let base: Workspace;
    let loaded: TestDatabase;
    let reference: TestDatabase;
    let machines: string[];
    let baseTag: string;

    beforeAll(async () => {
      base = copyDbPackage();
      baseEdit(base);
      const run = await generate(base, 'corpus_base');
      expect(run.code, run.stderr).toBe(0);
      baseTag = run.tags.at(-1)!;
      loaded = await createTestDatabase('template');
      reference = await createTestDatabase('template');
      for (const db of [loaded, reference]) {
        const r = await runCli(['migrate', ...migrateArgs(base, db.url)]);
        expect(r.code, r.stderr).toBe(0);
      }
      await loadCorpusRows(loaded.pool, CORPUS_ROWS);
      machines = (await loaded.query<{ id: string }>('SELECT id FROM machines ORDER BY machine_number')).rows.map(
        (r) => r.id,
      );
      // Templates for the cases: no connection may stay open on them.
      await loaded.pool.end();
      await reference.pool.end();
    });

    afterAll(async () => {
      base?.remove();
      for (const db of [loaded, reference]) {
        if (!db) continue;
        await db.drop().catch(() => {});
      }
    });

    for (const c of cases) {
      it(`${c.name}: ${c.title}`, async () => {
        const ws = base.copy();
        const dbs: TestDatabase[] = [];
        try {
          c.edit(ws);
          // The plan first (--dry-run: each step's SQL and how long it holds its lock), then the files.
          const planned = await generate(ws, c.name, [...(c.args ?? []), '--dry-run']);
          expect({ code: planned.code, stderr: planned.stderr }).toEqual({ code: 0, stderr: '' });
          const run = await generate(ws, c.name, c.args ?? []);
          expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
          expect(run.events.filter((e) => e.event === 'file').map((e) => e.phase)).toEqual(c.phases);
          const files = run.tags.map((t) => path.join(ws.migrations, `${t}.sql`));
          const { labels, unlabeled } = statementLabels(files, planned.events);
          expect(unlabeled).toEqual([]);
          const text = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
          for (const rewrite of c.rewrites) expect(text, `a header naming "${rewrite}"`).toContain(`* ${rewrite}:`);
          expect(text).not.toMatch(/squawk-ignore/);
          // A nullable key column is made NOT NULL through the validated CHECK before USING INDEX, which would
          // otherwise run SET NOT NULL itself: a scan of the whole table under ACCESS EXCLUSIVE.
          for (const column of c.nullableKey ?? []) {
            const steps = [
              `CHECK ("${column}" IS NOT NULL) NOT VALID`,
              'VALIDATE CONSTRAINT',
              `ALTER COLUMN "${column}" SET NOT NULL`,
              'PRIMARY KEY USING INDEX',
            ];
            let from = 0;
            const missing = steps.filter((step) => {
              const at = text.indexOf(step, from);
              if (at >= 0) from = at + step.length;
              return at < 0;
            });
            expect({ column, missing }).toEqual({ column, missing: [] });
          }
          for (const [i, f] of files.entries()) {
            const transactional = !/^-- migrator: no-transaction/.test(fs.readFileSync(f, 'utf8'));
            const lint = spawnSync(
              squawk,
              [
                '--config',
                squawkConfig,
                '--pg-version',
                '15',
                ...(transactional ? ['--assume-in-transaction'] : []),
                f,
              ],
              { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
            );
            expect({ file: run.tags[i], status: lint.status, out: lint.stdout.trim() }).toEqual({
              file: run.tags[i],
              status: 0,
              out: expect.stringMatching(/0 issues|^$/) as unknown as string,
            });
          }
          // A second db:generate finds nothing: the snapshots written are the schema's.
          const again = generate(ws, `${c.name}_again`);

          // The reference: drizzle-kit's own SQL, statement by statement, on the same schema without rows.
          const ref = await createTestDatabase({ template: reference.name });
          dbs.push(ref);
          for (const statement of run.drizzleSql) await ref.query(statement);
          const expected = await catalogSnapshot(ref.pool);

          const db = await createTestDatabase({ template: loaded.name });
          dbs.push(db);
          const c0 = await catalogSnapshot(db.pool);
          const w0 = await wholeCatalog(db.pool);
          // The columns after the change are the reference's; those that go are archived, the rest kept.
          const cols0 = await columnsOf(db.pool, 'training_sessions');
          const cols1 = await columnsOf(ref.pool, 'training_sessions');
          const shared = cols0.filter((col) => cols1.includes(col));
          const dropped = cols0.filter((col) => !cols1.includes(col));
          const droppedBefore = await rowHashes(db.pool, 'training_sessions', dropped);
          const others0 = await smallTables(db.pool);
          const checkins0 = await tableChecksum(db.pool, 'session_checkins');

          const watch = new LockWatch(db.url, db.name);
          await watch.start();
          const app = new CorpusApp(
            db.url,
            CORPUS_APP_LOCK_GUARD_MS,
            { reads: c.oldApp?.reads ?? [], inserts: c.oldApp?.inserts ?? {} },
            CORPUS_ROWS,
            machines,
          );
          app.start();
          const pre = await runCli(['migrate', '--pre-deploy', ...migrateArgs(ws, db.url)]);
          app.shape = { reads: c.newApp?.reads ?? [], inserts: c.newApp?.inserts ?? {} };
          const post = await runCli(['migrate', ...migrateArgs(ws, db.url)]);
          await app.stop();
          const waits = await watch.stop();
          expect({ pre: pre.code, post: post.code, stderr: `${pre.stderr}${post.stderr}` }).toEqual({
            pre: 0,
            post: 0,
            stderr: '',
          });
          expect(app.calls.filter((q) => !q.ok)).toEqual([]);
          expect(app.calls.filter((q) => q.ok).length).toBeGreaterThan(0);
          expect(unexplainedWaits(waits, labels)).toEqual([]);

          // The catalog drizzle-kit's SQL gives, but for the archives of dropped values kept in gym_migrations.
          const c1 = await catalogSnapshot(db.pool);
          expect(withoutMigrationArchives(c1)).toEqual(withoutMigrationArchives(expected));

          // Every file again, statement by statement as after a kill: nothing changes.
          expect(await columnsOf(db.pool, 'training_sessions')).toEqual(cols1);
          const d1 = await rowHashes(db.pool, 'training_sessions', cols1);
          const sharedAfter = await rowHashes(db.pool, 'training_sessions', shared);
          const others1 = await smallTables(db.pool);
          const checkins1 = await tableChecksum(db.pool, 'session_checkins');
          expect(checkins1.n).toBeGreaterThan(checkins0.n);
          await withClient(db.url, async (client) => {
            client.on('notice', () => {});
            for (const f of files) for (const s of statementsOf(f)) await client.query(s);
          });
          expect(await catalogSnapshot(db.pool)).toEqual(c1);
          expect(await rowHashes(db.pool, 'training_sessions', cols1)).toEqual(d1);
          expect(await smallTables(db.pool)).toEqual(others1);
          expect(await tableChecksum(db.pool, 'session_checkins')).toEqual(checkins1);

          const second = await again;
          expect({ code: second.code, nothing: second.events.some((e) => e.event === 'nothing_to_do') }).toEqual({
            code: 0,
            nothing: true,
          });

          // Rollback to the base: the catalog, every row of before, and every value the app wrote since.
          const back = await runCli(['rollback', '--to', baseTag, ...migrateArgs(ws, db.url)]);
          expect({ code: back.code, stderr: back.stderr }).toEqual({ code: 0, stderr: '' });
          expect(await catalogSnapshot(db.pool)).toEqual(c0);
          expect(await wholeCatalog(db.pool)).toEqual(w0);
          // Every column that stayed holds what it held after the deploy (the app's writes included), every
          // dropped one its archived value for every row that had one.
          expect(await rowHashes(db.pool, 'training_sessions', shared)).toEqual(sharedAfter);
          if (dropped.length) {
            const restored = await rowHashes(db.pool, 'training_sessions', dropped);
            const lost = [...droppedBefore].filter(([id, h]) => restored.get(id) !== h).map(([id]) => id);
            expect({ dropped, lost: lost.slice(0, 5), count: lost.length }).toEqual({ dropped, lost: [], count: 0 });
          }
          const othersBack = await smallTables(db.pool);
          expect(othersBack).toEqual(others0);
          // Every check-in, loaded or written by the app during the deploy, is still there.
          expect(await tableChecksum(db.pool, 'session_checkins')).toEqual(checkins1);
        } finally {
          for (const d of dbs) await d.drop().catch(() => {});
          ws.remove();
        }
      });
    }

    if (cases[0]) {
      it(`--dry-run prints the plan of ${cases[0].name} (each statement, its steps, locks and phase) and writes nothing`, async () => {
        const ws = base.copy();
        try {
          cases[0]!.edit(ws);
          const before = ws.listing();
          const run = await generate(ws, cases[0]!.name, [...(cases[0]!.args ?? []), '--dry-run']);
          expect(run.code).toBe(0);
          const statements = run.events.filter((e) => e.event === 'statement');
          expect(statements.length).toBeGreaterThan(0);
          for (const s of statements) {
            expect(s.phase).toMatch(/^(pre|post)-deploy$/);
            const steps = s.steps as { does: string; lock: string; holds: string }[];
            expect(steps.length).toBeGreaterThan(0);
            for (const step of steps) expect(step.lock && step.holds && step.does).toBeTruthy();
          }
          expect(run.events.filter((e) => e.event === 'file').every((e) => e.dryRun === true)).toBe(true);
          expect(ws.listing()).toEqual(before);
        } finally {
          ws.remove();
        }
      });
    }

    for (const r of refusals) {
      it(`${r.name}: refused, ${r.title}`, async () => {
        const ws = base.copy();
        try {
          r.edit(ws);
          const before = ws.listing();
          const run = await generate(ws, r.name);
          const lines = run.events.filter((e) => e.event === 'refused');
          expect(run.code).toBe(3);
          expect(lines.length).toBe(r.refused.length);
          for (const pattern of r.refused) {
            expect(
              lines.some((l) => pattern.test(`${l.statement}: ${l.why}; ${l.recipe}`)),
              `a refusal matching ${pattern}`,
            ).toBe(true);
          }
          expect(ws.listing()).toEqual(before);
        } finally {
          ws.remove();
        }
      });
    }
  });
}

/** Every table of public but the big ones (and the migrations table), as sorted JSON rows. */
async function smallTables(pool: pg.Pool): Promise<Record<string, string[]>> {
  const { rows: tables } = await pool.query<{ t: string }>(
    `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('training_sessions', 'session_checkins') ORDER BY 1`,
  );
  const out: Record<string, string[]> = {};
  for (const { t } of tables) {
    const { rows } = await pool.query<{ r: string }>(`SELECT to_jsonb(x)::text AS r FROM ${t} x`);
    out[t] = rows.map((r) => r.r).sort();
  }
  return out;
}
