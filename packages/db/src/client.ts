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
  const pool = typeof source === 'string' ? new pg.Pool({ connectionString: source }) : source;
  return drizzle(pool, { schema });
}
