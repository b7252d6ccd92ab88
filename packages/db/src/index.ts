export { asCaller, type CallerClaims } from './caller.js';
export { createDb, type Database, type DatabaseOrTransaction, type Transaction } from './client.js';
export { migrationsFolder, rollbackFolder } from './migrations/folders.js';
export * from './schema/index.js';
export * from './types.js';
export * from './validation.js';
