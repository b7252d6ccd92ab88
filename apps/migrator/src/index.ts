// The library entry: importing it has no effect on the host process (no exit hooks, no signal listeners).
export { ExitCode, MigratorError } from './errors.js';
export type { MigratorEvent, Reporter } from './events.js';
export { MIGRATION_LOCK_KEY } from './lock.js';
export { loadMigrations, type Phase, planMigrate } from './plan.js';
export { defaults, migrate, type RunOptions, rollback, type StatusRow, status } from './run.js';
export {
  checkSecurity,
  type SecurityCheckName,
  type SecurityFinding,
  type SecurityPolicy,
  securityCheckNames,
  supabaseSecurityPolicy,
} from './security.js';
