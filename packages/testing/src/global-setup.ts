import { pgMajorFromEnv } from '@gym/local-pg';
import { migrate } from '@gym/migrate';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { ensureCompiledCli } from './build';
import { containerImage, startTestServer, type TestServer, TestServerError } from './server';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDatabase: string;
    serverKind: string;
  }
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Under CI, a run labelled GYM_PG_VERSION=NN (".ci/run"'s pgNN lines) must run on PostgreSQL NN: a
 * TEST_DATABASE_URL or an image of another major would report one server's results under another's name.
 */
function checkLabelledMajor(server: TestServer, serverVersion: string, serverMajor: number) {
  const expected = pgMajorFromEnv();
  if (String(serverMajor) === expected) return;
  const fix =
    server.kind === 'TEST_DATABASE_URL'
      ? `unset TEST_DATABASE_URL, or point it at a PostgreSQL ${expected} server`
      : server.kind === 'testcontainers'
        ? `set GYM_PG_IMAGE to a PostgreSQL ${expected} image (this run used ${containerImage(expected)})`
        : `the embedded server should run ${expected}: check GYM_EMBEDDED_NATIVE_DIR`;
  throw new TestServerError(
    `the test server (${server.kind}) runs PostgreSQL ${serverVersion}, but this CI run is labelled GYM_PG_VERSION=${expected}: ${fix}`,
  );
}

/** Starts (or finds) the server once, and migrates a template database that every test file copies. */
export default async function setup(project: TestProject) {
  ensureCompiledCli((line) => console.log(`[gym-testing] ${line}`));
  const server = await startTestServer((line) => console.log(`[gym-testing] ${line}`));
  const templateDatabase = `gym_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  const { rows } = await admin.query<{ v: string; num: string }>(
    `SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS num`,
  );
  const serverVersion = rows[0]!.v;
  try {
    if (process.env.CI) checkLabelledMajor(server, serverVersion, Math.floor(Number(rows[0]!.num) / 10000));
  } catch (err) {
    await admin.end();
    await server.stop();
    throw err;
  }
  await admin.query(`DROP DATABASE IF EXISTS ${templateDatabase}`);
  await admin.query(`CREATE DATABASE ${templateDatabase}`);
  await admin.end();
  await migrate({ url: databaseUrl(server.adminUrl, templateDatabase) });
  console.log(
    `[gym-testing] server: ${server.kind}${server.detail ? ` (${server.detail})` : ''}, PostgreSQL ${serverVersion}; template ${templateDatabase} migrated to latest`,
  );
  project.provide('adminUrl', server.adminUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('serverKind', server.kind);
  return async () => {
    const c = new pg.Client({ connectionString: server.adminUrl });
    await c.connect();
    const { rows } = await c.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`,
      [templateDatabase, `gym_t_${process.pid}_%`],
    );
    for (const r of rows) await c.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
    await c.end();
    await server.stop();
  };
}
