import { devServerPort, pgMajorFromEnv } from '@gym/local-pg';
import type { EmbeddedServer } from '@gym/local-pg/embedded';
import { count } from './args.js';
import type { Output } from './render.js';

/**
 * --embedded, and start: the embedded PostgreSQL with its `gym` database, reported as an event; the output
 * redacts its URL from then on. `port`: start's --port (start defaults to the dev server's fixed port, so
 * that its DATABASE_URL stays the same; --embedded to GYM_EMBEDDED_PORT or a free one).
 */
export async function startLocalServer(
  output: Output,
  forStart: { port: string | undefined } | undefined,
): Promise<{ server: EmbeddedServer; url: string }> {
  // Loaded only here: the other runs need no local server.
  const { embeddedOptionsFromEnv, startEmbedded } = await import('@gym/local-pg/embedded');
  const fromEnv = embeddedOptionsFromEnv();
  const port = forStart ? (count('port', forStart.port) ?? fromEnv.port ?? devServerPort) : fromEnv.port;
  const server = await startEmbedded({ version: pgMajorFromEnv(), ...fromEnv, port });
  await server.ensureDatabase('gym').catch(async (err) => {
    await server.stop().catch(() => {});
    throw err;
  });
  const url = server.url('gym');
  output.useUrl(url);
  output.report({ event: 'embedded', version: server.version, dataDir: server.dataDir, port: server.port });
  return { server, url };
}
