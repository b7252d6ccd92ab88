import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowed, findTableNames, owner, repoFiles, repoRoot, tableName } from '../scripts/check-migrations-table.js';

// Issue 18: one module owns the migrations table. The check runs in `pnpm lint`; here it runs on the
// repository as it is, and on planted files that it must catch. (The table's name is built from
// tableName, so that this file does not trip the check itself.)
const table = `drizzle.${tableName}`;

describe('the migrations table has one owner, state.ts', () => {
  it('no file of the repository but state.ts names it (source, tests, harness, bench, scripts, SQL)', () => {
    const files = repoFiles();
    expect(files.some((f) => f.file === 'packages/testing/src/cli.ts')).toBe(true);
    expect(files.some((f) => f.file.startsWith('bench/'))).toBe(true);
    expect(findTableNames(files)).toEqual([]);
    // The owner does name it: the check is about where, not whether.
    expect(fs.readFileSync(path.join(repoRoot, owner), 'utf8')).toContain(`'${table}'`);
  });

  it('catches a read or a write anywhere else, however the name is quoted', () => {
    const planted = [
      { file: 'packages/db-tests/src/x.test.ts', text: `db.query('SELECT count(*) FROM ${table}')` },
      { file: 'bench/x.ts', text: `await c.query('DELETE FROM "drizzle"."${tableName}"');` },
      { file: 'packages/migrate/src/migrate.ts', text: `const t = '${tableName}';` },
      { file: 'packages/db/migrations/9999_x.sql', text: `TRUNCATE ${table};` },
      { file: '.ci/run', text: `psql -c "SELECT * FROM ${table}"` },
      // An allowed line counts only in its own file, and only as the text it allows.
      { file: 'packages/db-tests/src/other.test.ts', text: `  ${allowed[0]!.start}x` },
      { file: allowed[0]!.file, text: `  await db.query('SELECT * FROM ${table}');` },
    ];
    expect(findTableNames(planted).map((f) => f.file)).toEqual(planted.map((p) => p.file));
  });

  it('lets the owner, prose, and the allowed lines (never SQL) name it', () => {
    for (const a of allowed) {
      expect(a.start).not.toMatch(/\b(SELECT|INSERT|UPDATE|DELETE|FROM|INTO|TABLE|TRUNCATE|to_regclass)\b/i);
    }
    expect(
      findTableNames([
        { file: owner, text: `const MIGRATIONS_TABLE = '${table}';` },
        { file: 'README.md', text: `keeps \`${table}\` compatible` },
        ...allowed.map((a) => ({ file: a.file, text: `    ${a.start}1, hash abc…)\`,` })),
      ]),
    ).toEqual([]);
  });

  it('runs as pnpm lint runs it, and passes', () => {
    const tsx = path.join(repoRoot, 'packages/migrate/node_modules/.bin/tsx');
    const r = spawnSync(tsx, ['scripts/check-migrations-table.ts'], {
      cwd: path.join(repoRoot, 'packages/migrate'),
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr).toContain(`migrations table: named by ${owner} only`);
    expect(r.status).toBe(0);
  });
});
