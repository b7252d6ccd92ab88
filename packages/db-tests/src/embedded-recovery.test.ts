import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, pgMajorFromEnv } from '@gym/local-pg';
import { startEmbedded } from '@gym/local-pg/embedded';
import { runCli, spawnCli } from '@gym/testing/cli';
import { alive, postmasterPid, processesUsing, tempEmbeddedDirs } from '@gym/testing/embedded-dir';
import { followJson } from '@gym/testing/output';
import { waitFor } from '@gym/testing/wait';
import { describe, expect, it } from 'vitest';

// Issue 12, item 4: a run killed with SIGKILL while its embedded server is up leaves no server running,
// and the next run starts cleanly.
const newDir = tempEmbeddedDirs();

/** Starts `pnpm db:start` (the real CLI) on `dataDir` and resolves once it has printed its URL. */
async function startedDevServer(dataDir: string) {
  const run = spawnCli(['start', '--json', '--port', String(await freePort())], { GYM_EMBEDDED_DIR: dataDir });
  await followJson(run.child).nth((e) => e.event === 'ready');
  const realDir = fs.realpathSync(dataDir);
  const pid = postmasterPid(realDir)!;
  expect(alive(pid)).toBe(true);
  return { run, pid, realDir };
}

async function migratesCleanly(dataDir: string): Promise<void> {
  const next = await runCli(['migrate', '--embedded'], { GYM_EMBEDDED_DIR: dataDir });
  expect(next.code, next.stdout + next.stderr).toBe(0);
  expect(next.stdout).toContain('nothing to migrate: the database is up to date');
}

describe('a killed embedded run', () => {
  it('SIGKILL of the CLI: its server stops by itself (the watchdog), and the next run works', async () => {
    const dataDir = newDir();
    const { run, pid, realDir } = await startedDevServer(dataDir);
    run.child.kill('SIGKILL');
    await run.done;
    await waitFor('the killed run’s server to stop', () => !alive(pid));
    expect(processesUsing(realDir)).toEqual([]);
    await migratesCleanly(dataDir);
    expect(processesUsing(realDir)).toEqual([]);
  });

  it('SIGKILL of the CLI and its watchdog: the next run finds the orphaned server, stops it and starts cleanly', async () => {
    const dataDir = newDir();
    const { run, pid, realDir } = await startedDevServer(dataDir);
    const watchdog = processesUsing(realDir).find((p) => p.cmdline.includes('gym-embedded-watchdog'));
    expect(watchdog).toBeDefined();
    process.kill(watchdog!.pid, 'SIGKILL');
    run.child.kill('SIGKILL');
    await run.done;
    await waitFor('the watchdog to be gone', () => !alive(watchdog!.pid));
    expect(alive(pid)).toBe(true);
    await migratesCleanly(dataDir);
    expect(alive(pid)).toBe(false);
    expect(processesUsing(realDir)).toEqual([]);
  });

  it('a stale postmaster.pid whose pid now belongs to another process is not mistaken for a server', async () => {
    const dataDir = newDir();
    const server = await startEmbedded({ dataDir, fast: true, version: pgMajorFromEnv() });
    const lockFile = path.join(server.dataDir, 'postmaster.pid');
    const lock = fs.readFileSync(lockFile, 'utf8');
    await server.stop();
    // As after a crash of the whole machine or container: the file is left behind, and its pid reused.
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(lockFile, lock.replace(/^\d+/, String(other.pid)));
      const next = await runCli(['migrate', '--embedded'], { GYM_EMBEDDED_DIR: dataDir });
      expect(next.code, next.stdout + next.stderr).toBe(0);
      expect(alive(other.pid!)).toBe(true);
    } finally {
      other.kill('SIGKILL');
    }
  });
});
