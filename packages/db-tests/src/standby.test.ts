import { pgMajorFromEnv } from '@gym/local-pg';
import { ExitCode } from '@gym/migrate';
import { runCli } from '@gym/testing/cli';
import { tempEmbeddedDirs } from '@gym/testing/embedded-dir';
import { migrateTo } from '@gym/testing/migrate';
import { eventsOf, expectOneLineError, parseJsonLines } from '@gym/testing/output';
import { allTags } from '@gym/testing/release';
import { catalogSnapshot, dataSnapshot } from '@gym/testing/snapshot';
import { type StandbyPair, startStandbyPair } from '@gym/testing/standby';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

// Issue 16, item 9: a hot standby (pg_is_in_recovery()) is refused by migrate and rollback with exit 9 and one
// line, before anything else; status still reads it. Proven on a real streaming replica of a primary this file
// starts from the embedded PostgreSQL of GYM_PG_VERSION (whatever server the other suites run on), so it
// runs on 15, 17 and 18 alike. Nothing here is skipped: a standby that cannot be made fails the test.
const newDir = tempEmbeddedDirs();
const LAST = allTags.at(-1)!;
const BEFORE_LAST = allTags.at(-2)!;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** What migrate or rollback could change: the catalog, every row, and the migrations table with its ids. */
const state = (url: string) =>
  withClient(url, async (c) => ({
    catalog: await catalogSnapshot(c),
    data: await dataSnapshot(c),
    recovery: (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r,
  }));

describe('a hot standby', () => {
  it('migrate and rollback exit 9 with one line and change nothing; status still lists the migrations', async () => {
    let pair: StandbyPair | undefined;
    try {
      // The primary holds every migration but the last: migrate has one to apply, rollback one to undo.
      pair = await startStandbyPair({
        version: pgMajorFromEnv(),
        primaryDir: newDir('primary'),
        standbyDir: newDir('standby'),
        prepare: async (primary) => {
          await primary.ensureDatabase('gym');
          await migrateTo(primary.url('gym'), BEFORE_LAST);
        },
      });
      const url = pair.standbyUrl('gym');
      // A real streaming replica: in recovery, receiving WAL from the primary over a replication connection.
      const receiver = await withClient(url, (c) =>
        c.query<{ recovery: boolean; status: string }>(
          `SELECT pg_is_in_recovery() AS recovery, (SELECT status FROM pg_stat_wal_receiver) AS status`,
        ),
      );
      expect(receiver.rows).toEqual([{ recovery: true, status: 'streaming' }]);

      const primaryBefore = await state(pair.primary.url('gym'));
      const standbyBefore = await state(url);
      expect(standbyBefore).toEqual({ ...primaryBefore, recovery: true });

      for (const command of ['migrate', 'rollback']) {
        const r = await runCli([command, '--connect-retry-for', '0s', '--url', url]);
        const line = expectOneLineError(r, ExitCode.standby);
        expect(line).toMatch(/is a read-only standby \(pg_is_in_recovery\(\) is true\)/);
        expect(line).toMatch(/Point DATABASE_URL at the primary .*nothing was changed\.$/);
        // Refused before any plan: not even what would run is announced.
        expect(r.stdout, command).not.toMatch(/\b(apply|roll back|migration_start)\b/i);
      }
      const json = await runCli(['migrate', '--json', '--connect-retry-for', '0s', '--url', url]);
      expect(json.code, json.stdout).toBe(ExitCode.standby);
      const events = parseJsonLines(json.stdout);
      expect(eventsOf(events, 'error')).toEqual([expect.objectContaining({ kind: 'standby', exitCode: 9 })]);
      expect(eventsOf(events, 'plan')).toEqual([]);
      expect(eventsOf(events, 'migration_start')).toEqual([]);

      const status = await runCli(['status', '--connect-retry-for', '0s', '--url', url]);
      expect(status.code, status.stdout + status.stderr).toBe(0);
      expect(status.stderr).toBe('');
      for (const tag of allTags.slice(0, -1)) expect(status.stdout).toMatch(new RegExp(`^${tag}\\s+applied\\s`, 'm'));
      expect(status.stdout).toMatch(new RegExp(`^${LAST}\\s+pending\\s`, 'm'));
      expect(status.stdout).toMatch(/^security check: no finding$/m);

      // The standby still replays the primary, and neither of them changed.
      await pair.replicated();
      expect(await state(url)).toEqual(standbyBefore);
      expect(await state(pair.primary.url('gym'))).toEqual(primaryBefore);
    } finally {
      await pair?.stop();
    }
  });
});
