export { migrate, rollback, status, defaults, type RunOptions, type StatusRow } from './run';
export { startEmbedded, freePort, defaultEmbeddedDir, type EmbeddedServer } from './embedded';
export { ExitCode, MigratorError } from './errors';
export type { MigratorEvent, Reporter } from './events';
export { MIGRATION_LOCK_KEY } from './lock';
export { loadMigrations } from './plan';
