// The library entry: importing it has no effect on the host process (no exit hooks, no signal listeners).
// The embedded server lives behind its own subpath, @gym/migrator/embedded.
export { ExitCode, MigratorError } from './errors';
export type { MigratorEvent, Reporter } from './events';
export { MIGRATION_LOCK_KEY } from './lock';
export { type PgMajor, pgMajorFromEnv, supportedPgMajors } from './pg-version';
export { loadMigrations, type Phase } from './plan';
export { freePort } from './port';
export { defaults, migrate, type RunOptions, rollback, type StatusRow, status } from './run';
