import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { migrationsFolder } from '@gym/db/migrations';
import { migrationsTableExists, readApplied } from '@gym/migrate';
import { adminQuery } from '@gym/testing/admin';
import { repoRoot, runCli } from '@gym/testing/cli';
import { migrateTo, rollbackTo } from '@gym/testing/migrate';
import { insertOldSchemaData, realisticOldSessions } from '@gym/testing/old-data';
import { allTags } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { catalogSnapshot, dataSnapshot } from '@gym/testing/snapshot';
import { findPgDump, schemaDump, wholeCatalog } from '@gym/testing/whole-catalog';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate as drizzleMigrate } from 'drizzle-orm/node-postgres/migrator';
import { describe, expect, it } from 'vitest';

// Issue 9, "The archive out of the app's reach": migration-owned tables live in gym_migrations with no
// privileges for anyone else; drizzle-kit push finds nothing to drop; drizzle-kit migrate and drizzle-orm's
// migrate() refuse this history in one line; rolling everything back leaves an empty database.
const { database, onCleanup } = perTestResources();
const dbDir = path.join(repoRoot, 'packages/db');
const drizzleKit = path.join(dbDir, 'node_modules/drizzle-kit/bin.cjs');

function kit(args: string[], url: string) {
  return spawnSync(process.execPath, [drizzleKit, ...args], {
    cwd: dbDir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DATABASE_URL: url },
    // No terminal: a prompt (drizzle-kit asks before dropping anything) fails instead of waiting.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const ARCHIVE = 'gym_migrations.training_sessions_us002_archive';
const MACHINE_ARCHIVE = 'gym_migrations.training_sessions_us002_machine_archive';

describe('drizzle-kit and drizzle-orm against this history', () => {
  it('drizzle-kit push, with the project config, finds nothing to change on a migrated database', async () => {
    const db = await database('template');
    const catalog = await catalogSnapshot(db);
    const whole = await wholeCatalog(db);
    const r = kit(['push', '--force'], db.url);
    expect({ status: r.status, said: `${r.stdout}${r.stderr}` }).toEqual({
      status: 0,
      said: expect.stringContaining('No changes detected'),
    });
    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await wholeCatalog(db)).toEqual(whole);
    // So the rollbacks still find what they need (before, push dropped the archive and the rollback failed).
    expect((await rollbackTo(db.url, '0001_machines')).rolledBack).toHaveLength(allTags.length - 2);
  });

  it('drizzle-kit migrate, with the project config, fails with one line naming pnpm db:migrate and changes nothing', async () => {
    const db = await database('empty');
    const r = kit(['migrate'], db.url);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^drizzle-kit migrate cannot apply gym-db migrations .*; run pnpm db:migrate instead$/);
    expect(await wholeCatalog(db)).toEqual(await wholeCatalog((await database('empty')).pool));
  });

  it("drizzle-orm's migrate() fails with a one-line PostgreSQL error naming pnpm db:migrate, and applies nothing", async () => {
    const db = await database('empty');
    const err = await drizzleMigrate(drizzle(db.pool), { migrationsFolder }).then(
      () => undefined,
      (e: Error & { cause?: Error & { code?: string } }) => e,
    );
    expect(err).toBeDefined();
    // drizzle-orm wraps the server's error ("Failed query: ..."); the server's own message is the one line.
    const cause = err!.cause ?? err!;
    expect(cause).toMatchObject({ code: 'GYM05' });
    expect(cause.message).not.toContain('\n');
    expect(cause.message).toMatch(
      /^0002_training_sessions_machines cannot run inside a transaction .*; apply this history with pnpm db:migrate$/,
    );
    // drizzle's one transaction was rolled back: not even 0000 and 0001 are there.
    const { rows } = await db.query(`SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname = 'public'`);
    expect(rows).toEqual([{ tables: 0 }]);
    // drizzle made its migrations table before its transaction began: there, and empty.
    expect(await migrationsTableExists(db)).toBe(true);
    expect(await readApplied(db)).toEqual([]);
  });
});

describe('migration-owned tables', () => {
  it('live in gym_migrations, and no role but their owner may use them, whatever the default privileges', async () => {
    const role = `gym_reader_${randomBytes(3).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${role} NOLOGIN`);
    const db = await database('empty');
    onCleanup(async () => {
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    });
    // As generous as a database gets: everything new, in every schema, for this role (and PUBLIC).
    await db.query(`ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO ${role}, PUBLIC`);
    await db.query(`ALTER DEFAULT PRIVILEGES GRANT ALL ON SCHEMAS TO ${role}, PUBLIC`);
    await db.query(`ALTER DEFAULT PRIVILEGES GRANT ALL ON FUNCTIONS TO ${role}, PUBLIC`);
    onCleanup(async () => {
      await db.query(`DROP OWNED BY ${role}`).then(
        () => {},
        () => {},
      );
    });
    await migrateTo(db.url);
    const privileges = async (table: string) =>
      (
        await db.query(
          `SELECT has_schema_privilege($1, 'gym_migrations', 'USAGE') AS usage_by_role,
                  has_schema_privilege('public', 'gym_migrations', 'USAGE') AS usage_by_public,
                  has_table_privilege($1, $2, 'SELECT') AS select_by_role,
                  has_table_privilege('public', $2, 'SELECT') AS select_by_public`,
          [role, table],
        )
      ).rows[0];
    const none = { usage_by_role: false, usage_by_public: false, select_by_role: false, select_by_public: false };
    expect(await privileges(ARCHIVE)).toEqual(none);
    const { rows } = await db.query(`SELECT to_regclass('public.training_sessions_us002_archive') AS t`);
    expect(rows).toEqual([{ t: null }]);

    // The machine archive, kept by 0002's rollback.
    await rollbackTo(db.url, '0001_machines');
    expect(await privileges(MACHINE_ARCHIVE)).toEqual(none);
  });
});

const dump = findPgDump();
const serverMajor = Math.floor(
  Number((await adminQuery<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v) / 10000,
);
const dumpMissing = !dump
  ? 'no pg_dump (neither under /usr/lib/postgresql nor from npm)'
  : dump.major < serverMajor
    ? `pg_dump ${dump.major} cannot dump PostgreSQL ${serverMajor}`
    : undefined;

describe('rolling every migration back', () => {
  /** Migrated with data, sessions moved to Machines 2 and 3, then rolled back to 0000 and 0000 itself. */
  async function rolledBackDatabase() {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    await insertOldSchemaData(db, { trainers: 3, members: 30, sessions: realisticOldSessions(60) });
    await migrateTo(db.url);
    await db.query(`UPDATE training_sessions SET machine_id = (SELECT id FROM machines WHERE machine_number = 2)
                     WHERE id IN (SELECT id FROM training_sessions WHERE status IN ('completed', 'cancelled') ORDER BY id LIMIT 20)`);
    await rollbackTo(db.url, '0000_baseline');
    await rollbackTo(db.url);
    return db;
  }

  it('leaves an empty database: every object in every schema is gone, the migrator bookkeeping included', async () => {
    const db = await rolledBackDatabase();
    const empty = await database('empty');
    expect(await wholeCatalog(db)).toEqual(await wholeCatalog(empty));
    expect(await dataSnapshot(db)).toEqual({});
    // Migrating again finds no leftover machine archive to restore, so it warns about no missing machine.
    const r = await runCli(['migrate', '--url', db.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/warning/i);
  });

  // A newcomer's machine without a fitting pg_dump skips this with the reason; CI must have one, so there it fails.
  it('pg_dump --schema-only of it equals that of an empty database', async (ctx) => {
    if (dumpMissing && !process.env.CI) ctx.skip(dumpMissing);
    if (dumpMissing)
      throw new Error(`${dumpMissing}; CI needs a pg_dump that reads the server (@gym/testing/pg-dump.ts)`);
    const db = await rolledBackDatabase();
    const empty = await database('empty');
    const [a, b] = [schemaDump(dump!.bin, db.url), schemaDump(dump!.bin, empty.url)];
    expect(a).toMatch(/^-- PostgreSQL database dump$/m);
    expect(a).toEqual(b);
  });
});
