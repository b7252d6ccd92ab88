import { migrate } from '@gym/migrate';
import { asRole } from '@gym/testing/as-role';
import { runCli } from '@gym/testing/cli';
import { createTestDatabase, type TestDatabase } from '@gym/testing/db';
import { copyMigrations } from '@gym/testing/migrations-copy';
import { propertyRuns } from '@gym/testing/property-runs';
import { allTags } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { cleanLints, makeSupabaseLike, runSecurityLints } from '@gym/testing/security-lints';
import { catalogSnapshot } from '@gym/testing/snapshot';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 16, item 1: one schema whatever the deploy order. Every order the migrator allows (plain migrate;
// --pre-deploy then migrate; release by release with --to; the README's deploy job on an empty database;
// any interleaving of those) leaves the catalog of a plain migrate, privileges included, on a Supabase-like
// database and on plain PostgreSQL; and Supabase's lints find nothing after any of them.
const { database, onCleanup } = perTestResources();
type Platform = 'supabase-like' | 'plain';
const platforms: Platform[] = ['supabase-like', 'plain'];

// What a plain migrate leaves on each platform, made once.
const reference = new Map<Platform, Record<string, string[]>>();
const references: TestDatabase[] = [];
beforeAll(async () => {
  for (const platform of platforms) {
    const db = await createTestDatabase('empty');
    references.push(db);
    if (platform === 'supabase-like') await makeSupabaseLike(db);
    await migrate({ url: db.url, connectRetryForMs: 0 });
    reference.set(platform, await catalogSnapshot(db));
  }
});
afterAll(async () => {
  await Promise.all(references.map((db) => db.drop()));
});

async function prepare(db: TestDatabase, platform: Platform): Promise<TestDatabase> {
  if (platform === 'supabase-like') await makeSupabaseLike(db);
  return db;
}
const fresh = async (platform: Platform) => prepare(await database('empty'), platform);

async function cli(args: string[], url: string) {
  const r = await runCli([...args, '--url', url]);
  expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
  return r;
}

/** A member with a booking tomorrow, written by a trusted connection (the owner). */
async function oneBooking(db: TestDatabase): Promise<void> {
  await db.query(
    `WITH m AS (INSERT INTO members (first_name, last_name, email) VALUES ('Mia', 'One', 'mia@gym.test') RETURNING id)
     SELECT create_training_session_with_members((SELECT id FROM machines WHERE machine_number = 2), (SELECT id FROM m),
                                                 now() + interval '1 day', now() + interval '1 day 1 hour')`,
  );
}

describe('the deploy orders the migrator allows', () => {
  it("the README's deploy job on an empty Supabase-like database: anon reads no booking, and the catalog is a plain migrate's", async () => {
    const db = await fresh('supabase-like');
    const pre = await cli(['migrate', '--pre-deploy'], db.url);
    // The pre-deploy step stops at the first post-deploy migration: the migrations after it wait, and say why.
    expect(pre.stdout).toMatch(
      /^waiting: 0005_supabase_auth, .* come after 0004_training_sessions_contract \(post-deploy\)/m,
    );
    await cli(['migrate'], db.url);
    await oneBooking(db);
    for (const view of ['member_session_history', 'trainer_session_history', 'training_sessions_calendar']) {
      expect(await asRole(db.pool, { role: 'anon' }, `SELECT * FROM ${view}`), view).toMatchObject({
        error: '42501',
      });
    }
    expect(await catalogSnapshot(db)).toEqual(reference.get('supabase-like'));
    expect(await runSecurityLints(db)).toEqual(cleanLints());
  });

  it('release by release (--to each contract step, pre-deploy then migrate) gives the same catalog', async () => {
    for (const platform of platforms) {
      const db = await fresh(platform);
      for (const release of ['0004_training_sessions_contract', '0008_training_sessions_calendar', undefined]) {
        await migrate({ url: db.url, to: release, preDeploy: true, connectRetryForMs: 0 });
        await migrate({ url: db.url, to: release, connectRetryForMs: 0 });
      }
      expect(await catalogSnapshot(db), platform).toEqual(reference.get(platform));
    }
  });

  it('any interleaving of --pre-deploy, --to and migrate, ending with migrate, gives the same catalog and a clean lint', async () => {
    const step = fc.record({
      preDeploy: fc.boolean(),
      to: fc.option(fc.constantFrom(...allTags), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...platforms), fc.array(step, { maxLength: 4 }), async (platform, steps) => {
        // Its own database, dropped when the case ends: a property draws many.
        const db = await prepare(await createTestDatabase('empty'), platform);
        try {
          for (const s of steps) await migrate({ url: db.url, ...s, connectRetryForMs: 0 });
          await migrate({ url: db.url, connectRetryForMs: 0 });
          expect(await catalogSnapshot(db)).toEqual(reference.get(platform));
          expect(await runSecurityLints(db)).toEqual(cleanLints());
        } finally {
          await db.drop();
        }
      }),
      { numRuns: propertyRuns(6) },
    );
  });
});

describe('a database an earlier migrator deployed in another order', () => {
  it('0005 to 0007 applied before 0004 (the old --pre-deploy): 0009 brings it to the catalog of a plain migrate', async () => {
    for (const platform of platforms) {
      const db = await fresh(platform);
      const oldOrder = copyMigrations();
      onCleanup(() => oldOrder.remove());
      const upTo0008 = allTags.slice(0, allTags.indexOf('0008_training_sessions_calendar') + 1);
      const contract = '0004_training_sessions_contract';
      oldOrder.reorder([
        ...upTo0008.filter((t) => t < contract),
        ...upTo0008.filter((t) => t > contract && t !== '0008_training_sessions_calendar'),
        contract,
        '0008_training_sessions_calendar',
      ]);
      await migrate({ url: db.url, migrationsFolder: oldOrder.dir, connectRetryForMs: 0 });
      await oneBooking(db);
      if (platform === 'supabase-like') {
        // What issue 16 found: 0004 recreated the history views after 0006, with Supabase's default grants.
        const leaked = await asRole(db.pool, { role: 'anon' }, 'SELECT * FROM member_session_history');
        expect(leaked).toMatchObject({ error: undefined, rowCount: 1 });
      }
      await migrate({ url: db.url, connectRetryForMs: 0 });
      expect(await asRole(db.pool, { role: 'anon' }, 'SELECT * FROM member_session_history')).toMatchObject({
        error: '42501',
      });
      expect(await catalogSnapshot(db), platform).toEqual(reference.get(platform));
      expect(await runSecurityLints(db), platform).toEqual(cleanLints());
    }
  });
});
