import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, pgMajorFromEnv } from '@gym/local-pg';
import { type EmbeddedServer, startEmbedded } from '@gym/local-pg/embedded';
import { readApplied } from '@gym/migrate';
import { closedPort } from '@gym/testing/admin';
import { spawnCli } from '@gym/testing/cli';
import { eventsOf, followJson, parseJsonLines } from '@gym/testing/output';
import { allTags } from '@gym/testing/release';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

// Issue 3, "Connection": a deploy job that starts beside its database retries until the server is up.
let server: EmbeddedServer | undefined;
let dataRoot: string | undefined;
afterAll(async () => {
  await server?.stop().catch(() => {});
  if (dataRoot) fs.rmSync(dataRoot, { recursive: true, force: true });
});

describe('the server is not up yet', () => {
  it('the CLI retries the connection (connect_retry events) and migrates once the server is up', async () => {
    const port = await freePort();
    // The embedded server's own credentials (startEmbedded) on a port where nothing listens yet.
    const url = `postgres://postgres:gym-embedded@127.0.0.1:${port}/postgres`;
    const run = spawnCli(['migrate', '--json', '--connect-retry-for', '60s', '--url', url]);
    const events = followJson(run.child);
    try {
      // Only start the server once the CLI has found it missing at least once.
      const first = await events.nth((e) => e.event === 'connect_retry');
      expect(first.reason).toMatch(/ECONNREFUSED/);

      dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-connect-retry-'));
      fs.chmodSync(dataRoot, 0o755);
      server = await startEmbedded({
        dataDir: path.join(dataRoot, 'pg'),
        port,
        persistent: false,
        fast: true,
        version: pgMajorFromEnv(),
      });

      const result = await run.done;
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const all = parseJsonLines(result.stdout);
      const retries = eventsOf(all, 'connect_retry');
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(retries.map((r) => r.attempt)).toEqual(retries.map((_, i) => i + 1));
      expect(eventsOf(all, 'connected')).toEqual([expect.objectContaining({ target: `127.0.0.1:${port}/postgres` })]);
      expect(eventsOf(all, 'migration_done')).toHaveLength(allTags.length);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }

    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      expect(await readApplied(c)).toHaveLength(allTags.length);
    } finally {
      await c.end();
    }
  });

  it('SIGTERM while it waits for the server: it stops retrying at once, exit 130', async () => {
    const port = await closedPort();
    const run = spawnCli([
      'migrate',
      '--json',
      '--connect-retry-for',
      '100s',
      '--url',
      `postgres://postgres:pw@127.0.0.1:${port}/postgres`,
    ]);
    const events = followJson(run.child);
    await events.nth((e) => e.event === 'connect_retry');
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code, result.stdout + result.stderr).toBe(130);
    const all = parseJsonLines(result.stdout);
    expect(eventsOf(all, 'error')).toEqual([expect.objectContaining({ kind: 'interrupted', exitCode: 130 })]);
    expect(eventsOf(all, 'error')[0]!.message).toMatch(/while waiting for the server/);
  });
});
