import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

/**
 * Applies `statements` the way a Drizzle project applies drizzle-kit's output: written as drizzle-kit writes a
 * migration file (statements joined by its breakpoint) in a folder with its journal, then drizzle-orm's own
 * migrate(), which runs every pending file in one transaction, statement by statement, with no lock_timeout.
 * The connection's application_name is `applicationName`, so that pg_stat_activity can tell it apart.
 */
export async function drizzleMigrate(url: string, statements: string[], applicationName: string): Promise<void> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-drizzle-kit-'));
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  // A dropped connection must surface as the failed migrate() call, not as an unhandled 'error' event.
  client.on('error', () => {});
  try {
    fs.mkdirSync(path.join(folder, 'meta'));
    const tag = '0000_drizzle_kit';
    // `when` later than anything the database recorded, so that migrate() takes the file as pending.
    const journal = {
      version: '7',
      dialect: 'postgresql',
      entries: [{ idx: 0, version: '7', when: Date.now(), tag, breakpoints: true }],
    };
    fs.writeFileSync(path.join(folder, 'meta', '_journal.json'), JSON.stringify(journal, null, 2));
    fs.writeFileSync(path.join(folder, `${tag}.sql`), statements.join('\n--> statement-breakpoint\n'));
    await client.connect();
    await migrate(drizzle(client), { migrationsFolder: folder });
  } finally {
    await client.end().catch(() => {});
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
