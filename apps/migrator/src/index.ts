// The library entry: importing it has no effect on the host process (no exit hooks, no signal listeners).
// The embedded server lives behind its own subpath, @gym/migrator/embedded.
export { ExitCode, MigratorError } from './errors.js';
export type { MigratorEvent, Reporter } from './events.js';
export { MIGRATION_LOCK_KEY } from './lock.js';
export { type PgMajor, pgMajorFromEnv, supportedPgMajors } from './pg-version.js';
export { loadMigrations, type Phase, planMigrate } from './plan.js';
export { freePort } from './port.js';
export { defaults, migrate, type RunOptions, rollback, type StatusRow, status } from './run.js';
export {
  checkSecurity,
  type SecurityCheckName,
  type SecurityFinding,
  type SecurityPolicy,
  securityCheckNames,
  supabaseSecurityPolicy,
} from './security.js';
