import { migrate, type RunOptions, rollback } from '@gym/migrate';

/** The programmatic migrator with test-friendly bounds (the CLI tests cover the defaults). */
const fast: Partial<RunOptions> = { connectRetryForMs: 0, lockWaitMs: 30_000 };

export const migrateTo = (url: string, to?: string) => migrate({ url, to, ...fast });
export const rollbackTo = (url: string, to?: string) => rollback({ url, to, ...fast });
