// The harness as feature packages use it (`@gym/testing`), with databaseTestConfig() from
// `@gym/testing/vitest` in their vitest.config.ts.
import { createDb, type Database } from '@gym/db';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from './db';

export { createTestDatabase, type TestDatabase } from './db';
export { perTestResources } from './resources';

export interface FileDatabase {
  /** A Drizzle client (createDb) on this file's database. */
  readonly db: Database;
  readonly pool: pg.Pool;
  readonly url: string;
}

/**
 * This test file's own database, a copy of the template migrated to latest: created before the file's
 * first test and dropped after its last. Call at the top level; read the fields inside hooks and tests.
 */
export function useTestDatabase(): FileDatabase {
  let database: TestDatabase | undefined;
  let db: Database | undefined;
  beforeAll(async () => {
    database = await createTestDatabase('template');
    db = createDb(database.pool);
  });
  afterAll(async () => {
    await database?.drop();
  });
  const ready = () => {
    if (!database || !db) throw new Error('useTestDatabase(): read its fields inside a hook or a test');
    return { database, db };
  };
  return {
    get db() {
      return ready().db;
    },
    get pool() {
      return ready().database.pool;
    },
    get url() {
      return ready().database.url;
    },
  };
}
