import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { type EmbeddedServer, startEmbedded } from '@gym/local-pg/embedded';
import pg from 'pg';

/**
 * Where the bench databases live: the server named by DATABASE_URL, or an embedded PostgreSQL 15 started for
 * this run in a temporary folder (deleted on stop). Only 127.0.0.1 is ever contacted by the embedded path.
 */
export interface BenchServer {
  kind: 'external' | 'embedded';
  /** URL of `database` on this server. */
  url(database: string): string;
  /** Drops (if present) and creates gym_bench_<n>; returns its URL. */
  freshDatabase(n: number): Promise<string>;
  dropDatabase(n: number): Promise<void>;
  /** host:port, never credentials. */
  describe(): string;
  stop(): Promise<void>;
}

export function dbName(n: number): string {
  if (!Number.isInteger(n) || n < 0) throw new Error(`bad bench database number ${n}`);
  return `gym_bench_${n}`;
}

export async function connectClient(url: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
  });
  // A dropped connection must surface as a failed query, not as an unhandled 'error' event.
  client.on('error', () => {});
  await client.connect();
  return client;
}

function withDatabase(raw: string, database: string): string {
  const u = new URL(raw);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminDo(adminUrl: string, body: (c: pg.Client) => Promise<void>): Promise<void> {
  const c = await connectClient(adminUrl, 'bench-admin');
  try {
    await body(c);
  } finally {
    await c.end().catch(() => {});
  }
}

function makeServer(kind: BenchServer['kind'], baseUrl: string, stop: () => Promise<void>): BenchServer {
  const adminUrl = withDatabase(baseUrl, 'postgres');
  const u = new URL(baseUrl);
  return {
    kind,
    url: (database) => withDatabase(baseUrl, database),
    async freshDatabase(n) {
      const name = dbName(n);
      await adminDo(adminUrl, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${name}`);
      });
      return withDatabase(baseUrl, name);
    },
    async dropDatabase(n) {
      const name = dbName(n);
      await adminDo(adminUrl, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
    describe: () => `${kind} ${u.hostname}:${u.port || 5432}`,
    stop,
  };
}

export async function openServer(databaseUrl: string | undefined, log: (s: string) => void): Promise<BenchServer> {
  if (databaseUrl && databaseUrl.trim() !== '') {
    const u = new URL(databaseUrl);
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)) {
      throw new Error(`DATABASE_URL points at ${u.hostname}; this benchmark only talks to a local server (127.0.0.1)`);
    }
    return makeServer('external', databaseUrl, async () => {});
  }
  // Not mkdtemp: the embedded server runs as the `postgres` user when we are root, and it must be able to
  // traverse every parent folder. startEmbedded creates and chowns the leaf itself.
  const dataDir = path.join(os.tmpdir(), `gym-bench-pg-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  log(`no DATABASE_URL: starting an embedded PostgreSQL in ${dataDir} (fast: false, deleted on exit)`);
  const server: EmbeddedServer = await startEmbedded({ dataDir, persistent: false, fast: false });
  return makeServer('embedded', server.url('postgres'), () => server.stop());
}
