import pg from 'pg';
import { afterEach } from 'vitest';
import { createTestDatabase, type TestDatabase } from './db';

/**
 * Databases, connections and other things a test creates, all released after each test of the file that
 * calls this (at its top level): connections first, then databases, then the rest.
 */
export function perTestResources() {
  const databases: TestDatabase[] = [];
  const clients: pg.Client[] = [];
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => {})));
    await Promise.all(databases.splice(0).map((d) => d.drop()));
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  return {
    async database(from: 'template' | 'empty'): Promise<TestDatabase> {
      const db = await createTestDatabase(from);
      databases.push(db);
      return db;
    },
    /** A connection of its own (not from a pool), e.g. to hold a lock or a snapshot. */
    async client(url: string): Promise<pg.Client> {
      const c = new pg.Client({ connectionString: url });
      c.on('error', () => {});
      await c.connect();
      clients.push(c);
      return c;
    },
    onCleanup(cleanup: () => void | Promise<void>): void {
      cleanups.push(cleanup);
    },
  };
}
