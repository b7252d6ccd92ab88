// The library entry: importing it has no effect on the host process (no exit hooks, no signal listeners),
// and nothing here prints: a run reports MigratorEvents, fails with typed errors, and the caller renders both.
export {
  ConnectionError,
  EditedMigrationError,
  ExitCode,
  InterruptedError,
  LockWaitTimeoutError,
  MigrationFailedError,
  MigratorError,
  PoolerError,
  SecurityCheckError,
  StandbyError,
  UnknownAppliedMigrationError,
  UsageError,
} from './errors.js';
export { type MigratorEvent, noticeToEvent, type Reporter, silentReporter } from './events.js';
export { MIGRATION_LOCK_KEY } from './lock.js';
export { migrate } from './migrate.js';
export { type LocalMigration, loadMigrations, type MigratePlan, type Phase, planMigrate } from './plan.js';
export { rollback } from './rollback.js';
export {
  checkSecurity,
  type SecurityCheckName,
  type SecurityFinding,
  type SecurityPolicy,
  securityCheckNames,
  supabaseSecurityPolicy,
} from './security.js';
export { defaults, type RunOptions } from './session.js';
export { type AppliedRow, migrationsTableExists, readApplied, writesMigrationsTable } from './state.js';
export { type StatusRow, status } from './status.js';
export { describeTarget, makeRedactor, parseDatabaseUrl, passwordOf, redactUrl } from './url.js';
