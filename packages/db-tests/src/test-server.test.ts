import { supportedPgMajors } from '@gym/local-pg';
import { adminQuery } from '@gym/testing/admin';
import { describe, expect, inject, it } from 'vitest';
import { runHarnessFixture } from './support/fixture-suite';

// Issue 17, item 2: under CI, a run labelled GYM_PG_VERSION=NN runs on PostgreSQL NN, or not at all; the
// server of this run (whatever way the harness found it) is handed to a fresh run as TEST_DATABASE_URL.
describe('the labelled major, under CI', () => {
  it('a server of another major than GYM_PG_VERSION is refused in one line, before any test', async () => {
    const { rows } = await adminQuery<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const serverVersion = rows[0]!.v;
    const serverMajor = serverVersion.split('.')[0];
    const other = supportedPgMajors.find((m) => m !== serverMajor)!;
    const r = runHarnessFixture({ CI: 'true', TEST_DATABASE_URL: inject('adminUrl'), GYM_PG_VERSION: other });
    expect(r.output).toContain(
      `TestServerError: the test server (TEST_DATABASE_URL) runs PostgreSQL ${serverVersion}, but this CI run is labelled GYM_PG_VERSION=${other}: unset TEST_DATABASE_URL, or point it at a PostgreSQL ${other} server`,
    );
    expect(r.output).not.toMatch(/reaches the harness server/);
    expect(r.status, r.output).toBe(1);
  });

  it('the same server under its own major runs the suite', async () => {
    const { rows } = await adminQuery<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const r = runHarnessFixture({
      CI: 'true',
      TEST_DATABASE_URL: inject('adminUrl'),
      GYM_PG_VERSION: rows[0]!.v.split('.')[0],
    });
    expect(r.output).toMatch(/1 passed/);
    expect(r.status, r.output).toBe(0);
  });
});
