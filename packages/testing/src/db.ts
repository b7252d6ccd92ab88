import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { databaseUrl } from './global-setup';

export interface TestDatabase {
  name: string;
  url: string;
  /** A pool on this database; ended by drop(). */
  pool: pg.Pool;
  query: pg.Pool['query'];
  drop(): Promise<void>;
}

let counter = 0;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: inject('adminUrl') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * A database of this test file's own: a copy of the migrated template (`from: 'template'`), empty
 * (`from: 'empty'`) for tests that migrate step by step, or a copy of a database of the file's own
 * (`{ template: name }`, which must have no open connection).
 */
export async function createTestDatabase(
  from: 'template' | 'empty' | { template: string } = 'template',
): Promise<TestDatabase> {
  const ppid = process.env.VITEST_POOL_ID ?? '0';
  const name = `gym_t_${process.ppid}_${ppid}_${++counter}_${randomBytes(3).toString('hex')}`;
  await admin(async (c) => {
    // The template may be momentarily busy while another file copies it; retry that one error.
    for (let attempt = 1; ; attempt++) {
      try {
        await c.query(
          from === 'template'
            ? `CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`
            : from === 'empty'
              ? `CREATE DATABASE ${name}`
              : `CREATE DATABASE ${name} TEMPLATE ${from.template}`,
        );
        return;
      } catch (err) {
        if (attempt >= 20 || !/being accessed by other users/.test(String((err as Error).message))) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  });
  const url = databaseUrl(inject('adminUrl'), name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {});
  return {
    name,
    url,
    pool,
    query: pool.query.bind(pool) as pg.Pool['query'],
    async drop() {
      await pool.end();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
