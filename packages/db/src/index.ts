export { createDb, type Database, type Transaction } from './client';
export { migrationsFolder, rollbackFolder } from './migrations';
export * from './schema/index';
export * from './types';
export * from './validation';
