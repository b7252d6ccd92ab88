import pg from 'pg';
import { ConnectionError, InterruptedError, sqlStateOf } from './errors.js';
import type { Reporter } from './events.js';
import { describeTarget } from './url.js';

export interface ConnectOptions {
  url: URL;
  /** Per attempt: how long a server may take to accept and answer the startup handshake. */
  connectTimeoutMs: number;
  /** In total: how long to keep retrying a server that is not up yet. 0 tries once. */
  retryForMs: number;
  reporter: Reporter;
  /** SIGINT/SIGTERM: stop retrying. */
  signal?: AbortSignal;
}

/**
 * How often the server checks, during a long statement, that this client is still there. A migrator killed
 * with SIGKILL leaves its backend running the current statement (a CREATE INDEX CONCURRENTLY, a batch loop)
 * to its end, holding its locks; with this set, the server notices the closed socket within a second and
 * ends it. PostgreSQL 14 and later; left alone elsewhere, and when the server or role already sets it.
 */
export const CLIENT_CONNECTION_CHECK_INTERVAL_MS = 1000;

function stopped(): InterruptedError {
  return new InterruptedError(
    'stopped by a signal while waiting for the server',
    'Nothing was changed; run the migrator again.',
  );
}

// Worth waiting for: the server is starting, restarting, or not listening yet. Anything else (a wrong
// password, a missing database) will not fix itself, so it fails at once.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EPIPE',
  '57P03',
  '53300',
]);

function isTimeout(err: unknown): boolean {
  return /timeout/i.test(String((err as Error)?.message ?? ''));
}

function isTransient(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return (
    (code !== undefined && TRANSIENT_CODES.has(code)) ||
    isTimeout(err) ||
    /Connection terminated unexpectedly/i.test(String((err as Error)?.message))
  );
}

function toConnectionError(err: unknown, url: URL, opts: ConnectOptions, elapsedMs: number): ConnectionError {
  const target = describeTarget(url);
  const code = (err as { code?: string } | null)?.code;
  const state = sqlStateOf(err);
  const waited = elapsedMs >= 1000 ? ` (kept trying for ${Math.round(elapsedMs / 1000)} s)` : '';
  if (state === '28P01' || state === '28000') {
    return new ConnectionError(
      `authentication failed for user "${decodeURIComponent(url.username) || 'postgres'}" at ${target}`,
      'Check the user name and password in DATABASE_URL.',
      { cause: err },
    );
  }
  if (state === '3D000') {
    return new ConnectionError(
      `database "${decodeURIComponent(url.pathname.slice(1))}" does not exist at ${target}`,
      'Create it first (createdb), or fix the database name in DATABASE_URL.',
      { cause: err },
    );
  }
  if (isTimeout(err)) {
    return new ConnectionError(
      `${target} accepted the connection but did not answer within ${opts.connectTimeoutMs} ms${waited}`,
      'Check that the host and port belong to a PostgreSQL server that is up, or raise --connect-timeout.',
      { cause: err },
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConnectionError(
      `cannot resolve the database host "${url.hostname}"${waited}`,
      'Fix the host name in DATABASE_URL.',
      { cause: err },
    );
  }
  const reason = code === 'ECONNREFUSED' ? 'connection refused' : ((err as Error)?.message ?? String(err));
  return new ConnectionError(
    `cannot connect to ${target}: ${reason}${waited}`,
    'Check that PostgreSQL is running there and that host and port in DATABASE_URL are right, or raise --connect-retry-for.',
    { cause: err },
  );
}

/** One pg client, retried with capped exponential backoff while the server is not up yet. */
export async function connect(opts: ConnectOptions): Promise<pg.Client> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({
      connectionString: opts.url.toString(),
      connectionTimeoutMillis: opts.connectTimeoutMs,
      application_name: 'gym-migrator',
      keepAlive: true,
    });
    // A dropped connection must surface as a failed query, not as an unhandled 'error' event.
    client.on('error', () => {});
    if (opts.signal?.aborted) throw stopped();
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => {});
      const elapsed = Date.now() - started;
      const delayMs = Math.min(250 * 2 ** (attempt - 1), 5000);
      if (!isTransient(err) || elapsed + delayMs > opts.retryForMs) {
        throw toConnectionError(err, opts.url, opts, elapsed);
      }
      opts.reporter({ event: 'connect_retry', attempt, delayMs, reason: (err as Error)?.message ?? String(err) });
      await sleep(delayMs, opts.signal);
      continue;
    }
    await client
      .query(
        `SELECT set_config('client_connection_check_interval', $1, false)
          WHERE current_setting('client_connection_check_interval', true) IN ('0', '0ms')`,
        [String(CLIENT_CONNECTION_CHECK_INTERVAL_MS)],
      )
      .catch(() => {});
    return client;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(stopped());
    const onAbort = () => {
      clearTimeout(timer);
      reject(stopped());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
