import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { ExitCode, readApplied } from '@gym/migrate';
import { adminQuery, withCredentials } from '@gym/testing/admin';
import { runCli } from '@gym/testing/cli';
import type { TestDatabase } from '@gym/testing/db';
import { migrateTo } from '@gym/testing/migrate';
import { copyMigrations, journalWhen } from '@gym/testing/migrations-copy';
import { eventsOf, expectOneLineError, parseJsonLines } from '@gym/testing/output';
import { allTags } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { catalogSnapshot, dataSnapshot } from '@gym/testing/snapshot';
import { describe, expect, it } from 'vitest';

// Issue 16, item 9: the migrator's guards fail closed. The pooler probe refuses when it cannot open the second
// connection that its proof needs, and applied rows that match no journal entry (a migration regenerated
// under the same tag) stop migrate and rollback. Both through the CLI: the exit code and the line are the point.
const { database, onCleanup } = perTestResources();
const LAST = allTags.at(-1)!;
const BEFORE_LAST = allTags.at(-2)!;

/** Runs `body` and proves that the database is exactly as it was: catalog, and every row (the migrations table's included). */
async function expectUnchanged(db: TestDatabase, body: () => Promise<void>) {
  const catalog = await catalogSnapshot(db);
  const data = await dataSnapshot(db);
  await body();
  expect(await catalogSnapshot(db)).toEqual(catalog);
  expect(await dataSnapshot(db)).toEqual(data);
}

const appliedTags = async (db: TestDatabase) =>
  (await runCli(['status', '--json', '--url', db.url])).stdout
    .split('\n')
    .filter((l) => l.includes('"event":"status"'))
    .map((l) => JSON.parse(l) as { tag: string | null; state: string })
    .filter((e) => e.state === 'applied')
    .map((e) => e.tag);

describe('the pooler probe', () => {
  it("refuses with exit 6 and one line when its second connection is refused (the role's CONNECTION LIMIT 1), and changes nothing", async () => {
    const db = await database('empty');
    await migrateTo(db.url, BEFORE_LAST);
    // A login role with the rights of the harness's superuser over every object (membership), but not its
    // superuser attribute: so CONNECTION LIMIT applies to it, as it does to a managed database's owner.
    const role = `gym_limited_${randomBytes(3).toString('hex')}`;
    const password = 'limited pw';
    await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' CONNECTION LIMIT 1`);
    onCleanup(async () => {
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    });
    await adminQuery(`GRANT ${(await db.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u} TO ${role}`);
    const url = withCredentials(db.url, role, password);

    await expectUnchanged(db, async () => {
      const r = await runCli(['migrate', '--connect-retry-for', '0s', '--url', url]);
      const line = expectOneLineError(r, ExitCode.transactionPooler);
      expect(line).toMatch(
        /cannot prove that this URL keeps one backend for the whole run: the second connection the check needs failed \(.*too many connections for role/,
      );
      expect(line).toMatch(/raise the role's CONNECTION LIMIT .*nothing was changed\.$/);
      expect(r.stdout).not.toMatch(/^apply/m);
      const json = await runCli(['migrate', '--json', '--connect-retry-for', '0s', '--url', url]);
      expect(json.code, json.stdout).toBe(ExitCode.transactionPooler);
      const events = parseJsonLines(json.stdout);
      expect(eventsOf(events, 'error')).toEqual([expect.objectContaining({ kind: 'transaction_pooler', exitCode: 6 })]);
      expect(eventsOf(events, 'migration_start')).toEqual([]);
    });
    expect(await appliedTags(db)).toEqual(allTags.slice(0, -1));

    // The role could migrate: with one connection more, the same command applies the last migration.
    await adminQuery(`ALTER ROLE ${role} CONNECTION LIMIT 2`);
    const ok = await runCli(['migrate', '--connect-retry-for', '0s', '--url', url]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(await appliedTags(db)).toEqual(allTags);
  });
});

describe('a migration regenerated under the same tag after it was applied', () => {
  it('migrate and rollback exit 8 with one line saying what to do, nothing changed; status lists the unknown row', async () => {
    const db = await database('template');
    const last = (await readApplied(db)).at(-1)!;
    const old = { hash: last.hash, created_at: String(last.createdAt) };
    expect(Number(old.created_at)).toBe(journalWhen(LAST));

    // drizzle-kit drop + generate of the last migration: same tag, a later journal `when`, other content.
    const copy = copyMigrations();
    onCleanup(() => copy.remove());
    const sql = fs.readFileSync(copy.file(LAST), 'utf8');
    const rollbackSql = fs.readFileSync(copy.rollbackFile(LAST), 'utf8');
    copy.truncate(allTags.length - 1);
    copy.addMigration({
      tag: LAST,
      when: journalWhen(LAST) + 86_400_000,
      sql: `${sql}\n--> statement-breakpoint\nALTER TABLE machines ADD COLUMN IF NOT EXISTS regenerated boolean;\n`,
      rollbackSql: `ALTER TABLE machines DROP COLUMN IF EXISTS regenerated;\n--> statement-breakpoint\n${rollbackSql}`,
    });

    const args = ['--migrations', copy.dir, '--connect-retry-for', '0s', '--url', db.url];
    await expectUnchanged(db, async () => {
      for (const command of ['migrate', 'rollback']) {
        const r = await runCli([command, ...args]);
        const line = expectOneLineError(r, ExitCode.unknownMigration);
        expect(line).toContain(
          `drizzle.__drizzle_migrations records a migration that the journal does not have (created_at ${old.created_at}, hash ${old.hash.slice(0, 12)}…)`,
        );
        expect(line).toMatch(/regenerated, renamed or removed after it was applied/);
        expect(line).toMatch(
          /Restore the migration and its journal entry as they were when applied .* put any change in a new migration; nothing was changed\.$/,
        );
      }
      const json = await runCli(['migrate', '--json', ...args]);
      expect(json.code, json.stdout).toBe(ExitCode.unknownMigration);
      const events = parseJsonLines(json.stdout);
      expect(eventsOf(events, 'error')).toEqual([expect.objectContaining({ kind: 'unknown_migration', exitCode: 8 })]);
      expect(eventsOf(events, 'migration_start')).toEqual([]);

      const status = await runCli(['status', ...args]);
      expect(status.code, status.stdout + status.stderr).toBe(0);
      expect(status.stdout).toMatch(new RegExp(`^${LAST}\\s+pending\\s`, 'm'));
      expect(status.stdout).toMatch(
        new RegExp(`^\\(not in journal\\)\\s+unknown\\s+hash ${old.hash.slice(0, 12)}…$`, 'm'),
      );
      expect(status.stdout).toMatch(/, 1 not in the journal \(migrate will refuse\)/);
      const statusJson = parseJsonLines((await runCli(['status', '--json', ...args])).stdout);
      expect(eventsOf(statusJson, 'status').filter((e) => e.state === 'unknown')).toEqual([
        { event: 'status', tag: null, state: 'unknown', hash: old.hash, createdAt: Number(old.created_at) },
      ]);
    });
    expect((await db.query(`SELECT to_regclass('machines') IS NOT NULL AS t`)).rows).toEqual([{ t: true }]);
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'machines' AND column_name = 'regenerated'`,
    );
    expect(rows).toEqual([{ n: 0 }]);
  });
});
