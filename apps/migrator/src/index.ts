export { defaultEmbeddedDir, type EmbeddedServer, freePort, startEmbedded } from './embedded';
export { ExitCode, MigratorError } from './errors';
export type { MigratorEvent, Reporter } from './events';
export { MIGRATION_LOCK_KEY } from './lock';
export { loadMigrations } from './plan';
export { defaults, migrate, type RunOptions, rollback, type StatusRow, status } from './run';
