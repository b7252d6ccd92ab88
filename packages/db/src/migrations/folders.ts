import { fileURLToPath } from 'node:url';

/** drizzle-kit's `out` folder: NNNN_<tag>.sql, meta/_journal.json and meta/*_snapshot.json. */
export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));
/** One hand-written rollback per migration, named like the migration it undoes. */
export const rollbackFolder = fileURLToPath(new URL('../../migrations/rollback', import.meta.url));
