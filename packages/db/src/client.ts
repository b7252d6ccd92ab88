import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Database = NodePgDatabase<typeof schema> & { $client: pg.Pool };
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** A Drizzle client over a pg Pool: give it a connection URL, or a pool you own (and end) yourself. */
export function createDb(source: string | pg.Pool): Database {
  const pool = typeof source === 'string' ? new pg.Pool({ connectionString: source }) : source;
  return drizzle(pool, { schema });
}
