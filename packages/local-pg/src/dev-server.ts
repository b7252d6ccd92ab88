import type { EmbeddedServer } from './embedded.js';

/** `pnpm db:start`'s port unless --port or GYM_EMBEDDED_PORT says otherwise: a DATABASE_URL that stays the same. */
export const devServerPort = 54_329;

/** What a seeding function reports: what it put in, or why it put nothing in. */
export type SeedResult =
  | { seeded: true; trainers: number; members: number; sessions: number; weekStart: Date }
  | { seeded: false; reason: string };

/**
 * What `pnpm db:start` reports once its server is up. The database URL carries its password on purpose: it
 * is the local server's published credential (embedded.ts), and the URL is what this command is for.
 */
export type DevServerEvent =
  | { event: 'seeded'; seeded: true; trainers: number; members: number; sessions: number; weekStart: string }
  | { event: 'seed_skipped'; reason: string }
  | { event: 'ready'; databaseUrl: string }
  | { event: 'stopping' };

/**
 * The rest of `pnpm db:start` once the embedded server is up and migrated: optionally seeds it (`seed`, given
 * the database's URL), reports the DATABASE_URL, and waits in the foreground until `signal` aborts (SIGINT or
 * SIGTERM); the caller then stops the server.
 */
export async function serveUntilStopped(opts: {
  server: EmbeddedServer;
  database: string;
  seed?: (url: string) => Promise<SeedResult>;
  signal: AbortSignal;
  report: (event: DevServerEvent) => void;
}): Promise<void> {
  const { server, database, report } = opts;
  const url = server.url(database);
  if (opts.seed) {
    const result = await opts.seed(url);
    if (result.seeded) report({ event: 'seeded', ...result, weekStart: result.weekStart.toISOString() });
    else report({ event: 'seed_skipped', reason: result.reason });
  }
  report({ event: 'ready', databaseUrl: url });
  if (!opts.signal.aborted) {
    // Signal listeners do not keep Node running, and the server's handles are unref'd (embedded-process.ts).
    const keepAlive = setInterval(() => {}, 1 << 30);
    await new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true }));
    clearInterval(keepAlive);
  }
  report({ event: 'stopping' });
}
