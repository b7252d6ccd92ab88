import { ExitCode, migrationsTableExists, status } from '@gym/migrate';
import { runCli } from '@gym/testing/cli';
import { migrateTo } from '@gym/testing/migrate';
import { copyMigrations } from '@gym/testing/migrations-copy';
import { eventsOf, expectOneLineError, parseJsonLines } from '@gym/testing/output';
import { US002_CONTRACT, us002History } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { catalogSnapshot, dataSnapshot } from '@gym/testing/snapshot';
import { afterAll, describe, expect, it } from 'vitest';

// Issue 9, "Phases in the migrator": a migration marked `-- migrator: post-deploy` is the contract step of an
// expand/contract change. `migrate --pre-deploy` (before the rollout) never runs one; `migrate` runs all.
const { database, onCleanup } = perTestResources();
// Shown on the US-002 release's history (0000 to 0004), whose every migration these tests list.
const PRE = ['0000_baseline', '0001_machines', '0002_training_sessions_machines', '0003_session_functions'];
const POST = US002_CONTRACT;
const history = us002History();
afterAll(() => history.remove());

async function cli(args: string[], url: string) {
  const r = await runCli([
    ...args,
    ...(args.includes('--migrations') ? [] : ['--migrations', history.dir]),
    '--url',
    url,
  ]);
  expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
  return r;
}

describe('migrate --pre-deploy', () => {
  it('applies every pre-deploy migration, leaves the post-deploy one pending, and says so; migrate then applies it', async () => {
    const db = await database('empty');
    const pre = parseJsonLines((await cli(['migrate', '--pre-deploy', '--json'], db.url)).stdout);
    expect(eventsOf(pre, 'plan')).toEqual([
      expect.objectContaining({
        step: 'pre-deploy',
        tags: PRE,
        migrations: PRE.map((tag) => ({ tag, phase: 'pre-deploy' })),
        heldBack: [POST],
      }),
    ]);
    expect(eventsOf(pre, 'migration_done').map((e) => [e.tag, e.phase])).toEqual(PRE.map((t) => [t, 'pre-deploy']));
    expect(eventsOf(pre, 'done')).toEqual([expect.objectContaining({ applied: PRE, heldBack: [POST] })]);
    const { rows } = await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'training_sessions' AND column_name = 'location'`,
    );
    expect(rows).toHaveLength(1);

    const status = await cli(['status'], db.url);
    expect(status.stdout).toMatch(new RegExp(`^${POST}\\s+pending\\s+-\\s+post-deploy$`, 'm'));
    expect(status.stdout).toMatch(/^0003_session_functions\s+applied\s+\S+\s+pre-deploy$/m);
    expect(status.stdout).toMatch(/4 applied, 1 pending \(1 post-deploy\)/);

    const again = await cli(['migrate', '--pre-deploy'], db.url);
    expect(again.stdout).toContain(
      `left pending for after the rollout (post-deploy): ${POST}; run pnpm db:migrate once the old app is gone`,
    );
    expect(again.stdout).toContain('nothing to migrate before the rollout: every pre-deploy migration is applied');

    const post = await cli(['migrate'], db.url);
    expect(post.stdout).toContain(`apply: ${POST} (post-deploy)`);
    expect(post.stdout).toMatch(new RegExp(`^applied\\s+${POST} \\(`, 'm'));
    expect((await cli(['status'], db.url)).stdout).toMatch(
      new RegExp(`^${POST}\\s+applied\\s+\\S+\\s+post-deploy$`, 'm'),
    );
  });

  it('--dry-run reports each migration with its phase and what it would hold back, and changes nothing', async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0001_machines');
    const catalog = await catalogSnapshot(db);
    const data = await dataSnapshot(db);
    const human = await cli(['migrate', '--pre-deploy', '--dry-run'], db.url);
    expect(human.stdout).toContain('would apply: 0002_training_sessions_machines, 0003_session_functions');
    expect(human.stdout).toContain(`would leave pending for after the rollout (post-deploy): ${POST}`);
    const all = parseJsonLines((await cli(['migrate', '--dry-run', '--json'], db.url)).stdout);
    expect(eventsOf(all, 'plan')).toEqual([
      expect.objectContaining({
        step: 'all',
        dryRun: true,
        heldBack: [],
        migrations: [
          { tag: '0002_training_sessions_machines', phase: 'pre-deploy' },
          { tag: '0003_session_functions', phase: 'pre-deploy' },
          { tag: POST, phase: 'post-deploy' },
        ],
      }),
    ]);
    expect(eventsOf(all, 'migration_start')).toEqual([]);
    expect(await catalogSnapshot(db)).toEqual(catalog);
    expect(await dataSnapshot(db)).toEqual(data);
  });

  it('a pre-deploy migration after a pending post-deploy one waits for it: --pre-deploy stops there and says why; migrate applies both in journal order', async () => {
    const db = await database('empty');
    await migrateTo(db.url, '0003_session_functions');
    const copy = us002History();
    onCleanup(() => copy.remove());
    const LATER = '0005_session_labels';
    copy.addMigration({
      tag: LATER,
      when: Date.now(),
      sql: 'ALTER TABLE trainers ADD COLUMN IF NOT EXISTS label text;\n',
      rollbackSql: 'ALTER TABLE trainers DROP COLUMN IF EXISTS label;\n',
    });
    const human = await cli(['migrate', '--pre-deploy', '--migrations', copy.dir], db.url);
    expect(human.stdout).toContain(
      `waiting: ${LATER} comes after ${POST} (post-deploy) in the journal and may rely on it, so it runs in the plain pnpm db:migrate after the rollout`,
    );
    expect(human.stdout).toContain('nothing to migrate before the rollout: the pending pre-deploy migrations wait');
    expect(human.stdout).not.toMatch(/^applied/m);
    const { rows } = await status({ url: db.url, migrationsFolder: copy.dir });
    expect(rows.map((r) => [r.tag, r.state, r.phase])).toEqual([
      ...PRE.map((t) => [t, 'applied', 'pre-deploy']),
      [POST, 'pending', 'post-deploy'],
      [LATER, 'pending', 'pre-deploy'],
    ]);
    // The same run in --json: the plan names what waits.
    const events = parseJsonLines(
      (await cli(['migrate', '--pre-deploy', '--json', '--migrations', copy.dir], db.url)).stdout,
    );
    expect(eventsOf(events, 'plan')).toEqual([
      expect.objectContaining({ tags: [], heldBack: [POST], waiting: [LATER] }),
    ]);
    expect(eventsOf(events, 'migration_done')).toEqual([]);
    const all = parseJsonLines((await cli(['migrate', '--json', '--migrations', copy.dir], db.url)).stdout);
    expect(eventsOf(all, 'migration_done').map((e) => e.tag)).toEqual([POST, LATER]);
  });
});

describe('bad use of phases', () => {
  it('--pre-deploy with rollback or status: exit 2, one line', async () => {
    const db = await database('template');
    for (const command of ['rollback', 'status']) {
      const r = await runCli([command, '--pre-deploy', '--url', db.url]);
      expect(expectOneLineError(r, ExitCode.usage)).toContain(`--pre-deploy only applies to migrate, not ${command}`);
    }
  });

  it('an unknown directive: exit 2 naming the file and the directive, nothing run', async () => {
    const db = await database('empty');
    const copy = copyMigrations();
    onCleanup(() => copy.remove());
    copy.addMigration({
      tag: '0005_typo',
      when: Date.now(),
      sql: '-- migrator: postdeploy\nSELECT 1;\n',
      rollbackSql: 'SELECT 1;\n',
    });
    const r = await runCli(['migrate', '--migrations', copy.dir, '--url', db.url]);
    const line = expectOneLineError(r, ExitCode.usage);
    expect(line).toContain('0005_typo.sql has an unknown directive "-- migrator: postdeploy"');
    expect(await migrationsTableExists(db)).toBe(false);
  });
});
