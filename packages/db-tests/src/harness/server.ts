import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pgMajorFromEnv } from '@gym/local-pg';
import { startEmbedded } from '@gym/local-pg/embedded';

export type ServerKind = 'TEST_DATABASE_URL' | 'testcontainers' | 'embedded';

export interface TestServer {
  kind: ServerKind;
  /** A URL to a maintenance database (postgres) on a superuser account: the harness creates databases. */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * The server the suites run against, in order of preference: TEST_DATABASE_URL when set; a PostgreSQL
 * container when a container runtime answers; otherwise the embedded PostgreSQL from npm. A newcomer's
 * machine has at least the last one. The container and the embedded server run GYM_PG_VERSION (15, 17 or
 * 18; default 15); with TEST_DATABASE_URL the version is that server's.
 */
export async function startTestServer(log: (line: string) => void): Promise<TestServer> {
  const major = pgMajorFromEnv();
  const fromEnv = process.env.TEST_DATABASE_URL;
  if (fromEnv) {
    return { kind: 'TEST_DATABASE_URL', adminUrl: fromEnv, stop: async () => {} };
  }
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer(`postgres:${major}-alpine`).withDatabase('postgres').start();
    return {
      kind: 'testcontainers',
      adminUrl: container.getConnectionUri(),
      stop: async () => void (await container.stop()),
    };
  } catch (err) {
    log(`no container runtime (${String((err as Error).message).split('\n')[0]}); using embedded PostgreSQL`);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-db-tests-'));
  fs.chmodSync(dataDir, 0o755);
  const server = await startEmbedded({
    dataDir: path.join(dataDir, 'pg'),
    persistent: false,
    fast: true,
    version: major,
  });
  return {
    kind: 'embedded',
    adminUrl: server.url('postgres'),
    stop: async () => {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
