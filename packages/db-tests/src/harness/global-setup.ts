import { migrate } from '@gym/migrate';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { ensureCompiledCli } from './build';
import { startTestServer } from './server';

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

/** Starts (or finds) the server once, and migrates a template database that every test file copies. */
export default async function setup(project: TestProject) {
  ensureCompiledCli((line) => console.log(`[db-tests] ${line}`));
  const server = await startTestServer((line) => console.log(`[db-tests] ${line}`));
  const templateDatabase = `gym_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${templateDatabase}`);
  await admin.query(`CREATE DATABASE ${templateDatabase}`);
  const serverVersion = (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v;
  await admin.end();
  await migrate({ url: databaseUrl(server.adminUrl, templateDatabase) });
  console.log(
    `[db-tests] server: ${server.kind}, PostgreSQL ${serverVersion}; template ${templateDatabase} migrated to latest`,
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
