import { readApplied } from '@gym/migrate';
import { runCli } from '@gym/testing/cli';
import { migrateTo } from '@gym/testing/migrate';
import { copyMigrations, journalWhen } from '@gym/testing/migrations-copy';
import { insertOldSchemaData, realisticOldSessions } from '@gym/testing/old-data';
import { eventsOf, parseJsonLines } from '@gym/testing/output';
import { allTags, US002_CONTRACT } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { catalogSnapshot, dataSnapshot } from '@gym/testing/snapshot';
import { describe, expect, it } from 'vitest';

// Issue 3, "Ordering": migrations are matched by identity, so one merged late (its journal `when` older than
// the newest applied one, drizzle-orm #5769) is applied and reported, never skipped. And --dry-run runs nothing.
const { database, onCleanup } = perTestResources();

const LATE = '0004_late_feature';

/** The project's migrations plus one written on a branch before 0002 and merged after 0004 was deployed. */
function withLateMigration() {
  const copy = copyMigrations();
  onCleanup(() => copy.remove());
  copy.addMigration({
    tag: LATE,
    when: journalWhen('0001_machines') + 1000,
    // Row-level security on, as every table in public must have (the migrator's security check).
    sql: "CREATE TABLE late_feature (id integer PRIMARY KEY, label text NOT NULL);\n--> statement-breakpoint\nALTER TABLE late_feature ENABLE ROW LEVEL SECURITY;\n--> statement-breakpoint\nINSERT INTO late_feature VALUES (1, 'merged late');\n",
    rollbackSql: 'DROP TABLE late_feature;\n',
  });
  return copy;
}

describe('a migration merged late', () => {
  it('is applied by the next migrate, with an out_of_order event, and recorded once', async () => {
    const db = await database('template');
    const copy = withLateMigration();

    const before = await runCli(['status', '--migrations', copy.dir, '--url', db.url]);
    expect(before.stdout).toMatch(new RegExp(`^${LATE}\\s+pending\\s`, 'm'));
    expect(before.stdout).toMatch(new RegExp(`^${allTags.at(-1)}\\s+applied\\s`, 'm'));

    const r = await runCli(['migrate', '--json', '--migrations', copy.dir, '--url', db.url]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const events = parseJsonLines(r.stdout);
    expect(eventsOf(events, 'out_of_order')).toEqual([
      expect.objectContaining({ tag: LATE, newestApplied: allTags.at(-1) }),
    ]);
    expect(eventsOf(events, 'plan')).toEqual([
      expect.objectContaining({ command: 'migrate', tags: [LATE], dryRun: false }),
    ]);
    expect(eventsOf(events, 'migration_done').map((e) => e.tag)).toEqual([LATE]);

    const { rows } = await db.query<{ label: string }>('SELECT label FROM late_feature');
    expect(rows).toEqual([{ label: 'merged late' }]);
    const recorded = await readApplied(db);
    expect(recorded.map((x) => x.createdAt)).toEqual(
      allTags.map((t) => journalWhen(t)).concat(journalWhen('0001_machines') + 1000),
    );
    const after = await runCli(['status', '--migrations', copy.dir, '--url', db.url]);
    expect(after.stdout).toMatch(new RegExp(`^${LATE}\\s+applied\\s`, 'm'));
    expect(after.stdout).toMatch(new RegExp(`${allTags.length + 1} applied, 0 pending`));
  });

  it('is named in a warning in human mode too', async () => {
    const db = await database('template');
    const copy = withLateMigration();
    const r = await runCli(['migrate', '--migrations', copy.dir, '--url', db.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `warning: ${LATE} is older than the newest applied migration (${allTags.at(-1)}); it was merged late and is applied now`,
    );
    expect(r.stdout).toMatch(new RegExp(`^applied\\s+${LATE} \\(`, 'm'));
  });
});

describe('a second migrate', () => {
  it('is a no-op: nothing_to_do, no migration started, catalog and rows unchanged', async () => {
    const db = await database('empty');
    const first = await runCli(['migrate', '--url', db.url]);
    expect(first.code, first.stderr).toBe(0);
    const catalog = await catalogSnapshot(db);
    const data = await dataSnapshot(db);

    const json = await runCli(['migrate', '--json', '--url', db.url]);
    expect(json.code, json.stderr).toBe(0);
    const events = parseJsonLines(json.stdout);
    expect(eventsOf(events, 'nothing_to_do')).toHaveLength(1);
    expect(eventsOf(events, 'migration_start')).toEqual([]);
    expect(eventsOf(events, 'done')).toEqual([expect.objectContaining({ applied: [] })]);
    const human = await runCli(['migrate', '--url', db.url]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('nothing to migrate: the database is up to date');

    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await dataSnapshot(db)).toEqual(data);
  });
});

describe('--dry-run', () => {
  it('lists the pending migrations and changes nothing', async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    await insertOldSchemaData(db, { trainers: 3, members: 20, sessions: realisticOldSessions(80) });
    const catalog = await catalogSnapshot(db);
    const data = await dataSnapshot(db);

    // The US-002 release's three migrations: the dry run lists them with their phases.
    const human = await runCli(['migrate', '--dry-run', '--to', US002_CONTRACT, '--url', db.url]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(
      'would apply: 0002_training_sessions_machines, 0003_session_functions, 0004_training_sessions_contract (post-deploy)',
    );
    expect(human.stdout).not.toMatch(/^applied/m);

    const json = await runCli(['migrate', '--dry-run', '--json', '--to', US002_CONTRACT, '--url', db.url]);
    expect(json.code, json.stderr).toBe(0);
    const events = parseJsonLines(json.stdout);
    expect(eventsOf(events, 'plan')).toEqual([
      expect.objectContaining({
        command: 'migrate',
        dryRun: true,
        tags: ['0002_training_sessions_machines', '0003_session_functions', '0004_training_sessions_contract'],
        migrations: [
          { tag: '0002_training_sessions_machines', phase: 'pre-deploy' },
          { tag: '0003_session_functions', phase: 'pre-deploy' },
          { tag: '0004_training_sessions_contract', phase: 'post-deploy' },
        ],
      }),
    ]);
    expect(eventsOf(events, 'migration_start')).toEqual([]);

    const rollback = await runCli(['rollback', '--dry-run', '--to', '0000_baseline', '--url', db.url]);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toContain('would roll back: 0001_machines');

    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await dataSnapshot(db)).toEqual(data);
  });

  it('on an empty database creates nothing, not even the migrations table', async () => {
    const db = await database('empty');
    const r = await runCli(['migrate', '--dry-run', '--url', db.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'would apply: 0000_baseline, 0001_machines, 0002_training_sessions_machines, 0003_session_functions, 0004_training_sessions_contract (post-deploy)',
    );
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
        WHERE n.nspname = 'drizzle' OR (n.nspname = 'public' AND c.oid IS NOT NULL)`,
    );
    expect(rows[0]!.n).toBe('0');
  });
});
