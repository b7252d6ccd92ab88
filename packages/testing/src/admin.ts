import { freePort } from '@gym/local-pg';
import pg from 'pg';
import { inject } from 'vitest';

/** Runs one statement on the test server's maintenance database, as the harness's superuser. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  const c = new pg.Client({ connectionString: inject('adminUrl') });
  await c.connect();
  try {
    return await c.query<R>(sql, params);
  } finally {
    await c.end();
  }
}

/** The same URL with other credentials (percent-encoded as a URL requires). */
export function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** The same URL on another host and port. */
export function withHostPort(url: string, host: string, port: number): string {
  const u = new URL(url);
  u.hostname = host;
  u.port = String(port);
  return u.toString();
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export const closedPort = freePort;
