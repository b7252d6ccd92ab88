// The migration file format, in one place: the folders, the `-- migrator:` directives, statement splitting
// and rollback files. The migrator (@gym/migrate) and the migration lint (scripts/lint-migrations.ts) both
// read files through it. Also what the security check holds the database to.
export { type Directive, directiveNames, directivesOf, isTransactional, type Phase, phaseOf } from './directives.js';
export { MigrationFileError } from './errors.js';
export { type MigrationFile, type RollbackFile, readMigrationFolder, readRollbackFile } from './files.js';
export { migrationsFolder, rollbackFolder } from './folders.js';
export { securityPolicy } from './security-policy.js';
export { chunksOf, STATEMENT_BREAKPOINT, splitStatements } from './statements.js';
