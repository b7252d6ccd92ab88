import { drizzle, type NodePgDatabase, type NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Database = NodePgDatabase<typeof schema> & { $client: pg.Pool };
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** What feature functions take first: the client, or a transaction (or savepoint) on it. */
export type DatabaseOrTransaction = PgDatabase<NodePgQueryResultHKT, typeof schema>;

/** A Drizzle client over a pg Pool: give it a connection URL, or a pool you own (and end) yourself. */
export function createDb(source: string | pg.Pool): Database {
  const pool = typeof source === 'string' ? ownPool(source) : source;
  return drizzle(pool, { schema });
}

/**
 * A pool of createDb's own. When the server ends an idle connection (a restart, pg_terminate_backend, a
 * database dropped WITH (FORCE)), pg removes that client from the pool and emits 'error' on the pool: with no
 * listener Node would end the whole process for a connection nobody was using. The next query gets a new one.
 */
function ownPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url });
  pool.on('error', () => {});
  return pool;
}
