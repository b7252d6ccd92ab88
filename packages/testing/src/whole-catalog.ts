import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type pg from 'pg';
import { npmPgDump, type PgDump } from './pg-dump';
import { catalogSnapshot } from './snapshot';

type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * Every user object in the database, in every schema, as one sorted list (catalogSnapshot's kinds, flattened):
 * two equal lists mean the same objects exist with the same privileges. Used to prove that rolling everything
 * back leaves nothing behind.
 */
export async function wholeCatalog(db: Queryable): Promise<string[]> {
  const snapshot = await catalogSnapshot(db);
  return Object.entries(snapshot)
    .flatMap(([kind, rows]) => rows.map((r) => `${kind} ${r}`))
    .sort();
}

/** The newest pg_dump at hand: Debian's under /usr/lib/postgresql, or pg_dump 18 from npm (pg-dump.ts). */
export function findPgDump(): PgDump | undefined {
  const root = '/usr/lib/postgresql';
  const debian = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .map(Number)
        .filter((m) => Number.isInteger(m) && fs.existsSync(`${root}/${m}/bin/pg_dump`))
        .map((major) => ({ bin: `${root}/${major}/bin/pg_dump`, major }))
    : [];
  return [...debian, npmPgDump()].filter((d): d is PgDump => d !== undefined).sort((a, b) => b.major - a.major)[0];
}

/** pg_dump --schema-only, without the lines that differ between any two runs (versions, \restrict keys). */
export function schemaDump(bin: string, url: string): string {
  const out = execFileSync(bin, ['--schema-only', '--dbname', url], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l) && !/^-- Dumped (from|by) /.test(l))
    .join('\n');
}
