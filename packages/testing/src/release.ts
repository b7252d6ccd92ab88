import { migrationsFolder } from '@gym/db/migrations';
import { loadMigrations } from '@gym/migrate';
import { copyMigrations, type MigrationsCopy } from './migrations-copy';

/** Every migration tag in the journal, in order. */
export const allTags = loadMigrations(migrationsFolder).map((m) => m.tag);

/**
 * The last migration of the US-002/US-003 release (its contract step). The suites about that release and
 * its deploy stop there, so that later releases' migrations (0005 on) do not change what they prove.
 */
export const US002_CONTRACT = '0004_training_sessions_contract';
export const US002_TAGS = allTags.slice(0, allTags.indexOf(US002_CONTRACT) + 1);

/**
 * A private copy of the migration history as the US-002 release left it (0000 to 0004), for suites that
 * prove the migrator's mechanics on that release's files and list them; pass its `dir` as --migrations.
 */
export function us002History(): MigrationsCopy {
  const copy = copyMigrations();
  copy.truncate(US002_TAGS.length);
  return copy;
}
