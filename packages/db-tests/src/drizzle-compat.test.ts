import { migrationsFolder } from '@gym/db/migrations';
import { readApplied, status } from '@gym/migrate';
import { migrateTo } from '@gym/testing/migrate';
import { copyMigrations } from '@gym/testing/migrations-copy';
import { allTags } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate as drizzleMigrate } from 'drizzle-orm/node-postgres/migrator';
import { describe, expect, it } from 'vitest';

// The migrator keeps Drizzle's migrations table compatible with drizzle-orm's own migrate(), both ways.
// Its rows are read through the migrator's state module (readApplied), the only code that names the table.
const { database, onCleanup } = perTestResources();

describe("drizzle-orm's migrate() and gym-db's migrator share one migrations table", () => {
  it("migrations applied by drizzle's migrate() count as applied here, and the rest are pending", async () => {
    const db = await database('empty');
    const early = copyMigrations();
    onCleanup(() => early.remove());
    early.truncate(2);
    await drizzleMigrate(drizzle(db.pool), { migrationsFolder: early.dir });

    const { rows } = await status({ url: db.url });
    expect(rows.map((r) => `${r.tag}:${r.state}`)).toEqual(
      allTags.map((t, i) => `${t}:${i < 2 ? 'applied' : 'pending'}`),
    );
    expect((await migrateTo(db.url)).applied).toEqual(allTags.slice(2));
  });

  it("after gym-db's migrator, drizzle's migrate() finds nothing to run", async () => {
    const db = await database('template');
    const before = await readApplied(db);
    expect(before).toHaveLength(allTags.length);
    await drizzleMigrate(drizzle(db.pool), { migrationsFolder });
    expect(await readApplied(db)).toEqual(before);
  });
});
