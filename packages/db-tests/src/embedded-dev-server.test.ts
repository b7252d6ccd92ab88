import fs from 'node:fs';
import { freePort } from '@gym/local-pg';
import { seedSampleWeek } from '@gym/migrator/seed';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { spawnCli } from './harness/cli';
import { alive, postmasterPid, processesUsing, tempEmbeddedDirs } from './harness/embedded-dir';
import { stdoutMatches } from './harness/output';
import { perTestResources } from './harness/resources';

// Issue 12, item 5: `pnpm db:start` gives a database to develop against, and leaves nothing behind.
const newDir = tempEmbeddedDirs();
const resources = perTestResources();

describe('pnpm db:start', () => {
  it('prints a DATABASE_URL served by a live postmaster (migrated, seeded with --seed), and Ctrl-C leaves no process', async () => {
    const dataDir = newDir();
    const port = await freePort();
    const run = spawnCli(['start', '--seed', '--port', String(port)], { GYM_EMBEDDED_DIR: dataDir });
    const printed = await stdoutMatches(run.child, /^DATABASE_URL=(\S+)$/m);
    const url = printed.slice('DATABASE_URL='.length);
    expect(new URL(url).port).toBe(String(port));
    const realDir = fs.realpathSync(dataDir);
    const pid = postmasterPid(realDir);

    const client = await resources.client(url);
    // Alive before Ctrl-C: the postmaster.pid names a running process, the parent of the backend that
    // answers on the printed URL, and processes use the data folder (so "none after" means something).
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const parent = /^PPid:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${backend}/status`, 'utf8'))?.[1];
    expect(pid).toBeGreaterThan(0);
    expect(Number(parent)).toBe(pid);
    expect(alive(pid!)).toBe(true);
    expect(processesUsing(realDir).map((p) => p.pid)).toContain(pid);
    const { rows } = await client.query<{ machine_number: number; sessions: number }>(
      `SELECT machine_number, count(*)::int AS sessions FROM training_sessions_calendar GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.map((r) => r.machine_number)).toEqual([1, 2, 3]);
    for (const r of rows) expect(r.sessions).toBeGreaterThan(0);
    await client.end();

    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(alive(pid!)).toBe(false);
    expect(processesUsing(realDir)).toEqual([]);
    await expect(new pg.Client({ connectionString: url }).connect()).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('--seed', () => {
  const sessionsOf = async (url: string) =>
    (
      await resources.client(url).then((c) =>
        c.query(`SELECT machine_number, trainer_name, scheduled_start, scheduled_end, participants->0->>'name' AS member
                 FROM training_sessions_calendar ORDER BY scheduled_start, machine_number`),
      )
    ).rows;

  it('fills an empty database with the same week of bookings every time, on all three machines', async () => {
    const now = new Date('2026-12-02T15:00:00Z');
    const [a, b] = [await resources.database('template'), await resources.database('template')];
    const seededA = await seedSampleWeek(a.url, now);
    const seededB = await seedSampleWeek(b.url, now);
    expect(seededA).toMatchObject({ seeded: true, weekStart: new Date('2026-11-30T00:00:00Z') });
    expect(seededB).toEqual(seededA);
    const rowsA = await sessionsOf(a.url);
    expect(rowsA.length).toBe((seededA as { sessions: number }).sessions);
    expect(new Set(rowsA.map((r) => r.machine_number))).toEqual(new Set([1, 2, 3]));
    expect(rowsA.some((r) => r.trainer_name === 'Unassigned')).toBe(true);
    expect(rowsA.some((r) => r.trainer_name !== 'Unassigned')).toBe(true);
    // The week of `now`, Monday to Sunday.
    for (const r of rowsA) {
      expect(r.scheduled_start.getTime()).toBeGreaterThanOrEqual(new Date('2026-11-30T00:00:00Z').getTime());
      expect(r.scheduled_end.getTime()).toBeLessThanOrEqual(new Date('2026-12-07T00:00:00Z').getTime());
    }
    expect(await sessionsOf(b.url)).toEqual(rowsA);
  });

  it('leaves a database that already has data as it is', async () => {
    const db = await resources.database('template');
    await db.query(`INSERT INTO members (first_name, last_name, email) VALUES ('Real', 'Member', 'real@example.com')`);
    const result = await seedSampleWeek(db.url);
    expect(result).toEqual({ seeded: false, reason: expect.stringContaining('1 members') });
    const { rows } = await db.query(
      `SELECT (SELECT count(*) FROM members)::int AS m, (SELECT count(*) FROM training_sessions)::int AS s`,
    );
    expect(rows).toEqual([{ m: 1, s: 0 }]);
  });
});
