import type { EmbeddedServer } from './embedded.js';

/** `pnpm db:start`'s port unless --port or GYM_EMBEDDED_PORT says otherwise: a DATABASE_URL that stays the same. */
export const devServerPort = 54_329;

/**
 * The rest of `pnpm db:start` once the embedded server is up and migrated: optionally seeds it, prints the
 * DATABASE_URL, and waits in the foreground until `signal` aborts (SIGINT or SIGTERM); the caller then
 * stops the server. The URL is printed with its password on purpose: it is the local server's published
 * credential (embedded.ts), and the URL is what this command is for.
 */
export async function serveUntilStopped(opts: {
  server: EmbeddedServer;
  database: string;
  seed: boolean;
  json: boolean;
  signal: AbortSignal;
  out: (line: string) => void;
}): Promise<void> {
  const { server, database, json, out } = opts;
  const say = (event: Record<string, unknown>, text: string) => out(json ? JSON.stringify(event) : text);
  if (opts.seed) {
    // Loaded only here: drizzle-seed and @gym/db are not needed by any other command.
    const { seedSampleWeek } = await import('./seed.js');
    const result = await seedSampleWeek(server.url(database));
    if (result.seeded) {
      say(
        { event: 'seeded', ...result, weekStart: result.weekStart.toISOString() },
        `seeded ${result.trainers} trainers, ${result.members} members and ${result.sessions} booked sessions in the week of ${result.weekStart.toISOString().slice(0, 10)}`,
      );
    } else {
      say({ event: 'seed_skipped', reason: result.reason }, `not seeding: ${result.reason}`);
    }
  }
  const url = server.url(database);
  say({ event: 'ready', databaseUrl: url }, `DATABASE_URL=${url}`);
  if (!json) out('Ready: the database runs until you press Ctrl-C.');
  if (!opts.signal.aborted) {
    // Signal listeners do not keep Node running, and the server's handles are unref'd (embedded-process.ts).
    const keepAlive = setInterval(() => {}, 1 << 30);
    await new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true }));
    clearInterval(keepAlive);
  }
  say({ event: 'stopping' }, 'stopping the embedded PostgreSQL');
}
