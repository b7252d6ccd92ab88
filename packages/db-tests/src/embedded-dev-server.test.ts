import fs from 'node:fs';
import { freePort } from '@gym/local-pg';
import { spawnCli } from '@gym/testing/cli';
import { alive, postmasterPid, processesUsing, tempEmbeddedDirs } from '@gym/testing/embedded-dir';
import { stdoutMatches } from '@gym/testing/output';
import { perTestResources } from '@gym/testing/resources';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

// Issue 12, item 5: `pnpm db:start` gives a database to develop against, and leaves nothing behind. The
// sample week itself (what --seed books) is proven next to the feature it samples, in @gym/bookings'
// test/sample-week.test.ts.
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
