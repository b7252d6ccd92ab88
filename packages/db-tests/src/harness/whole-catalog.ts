import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type pg from 'pg';
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

/** The newest pg_dump installed under /usr/lib/postgresql, with its major version, if any. */
export function findPgDump(): { bin: string; major: number } | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const majors = fs
    .readdirSync(root)
    .map(Number)
    .filter((m) => Number.isInteger(m) && fs.existsSync(`${root}/${m}/bin/pg_dump`))
    .sort((a, b) => b - a);
  return majors.length ? { bin: `${root}/${majors[0]}/bin/pg_dump`, major: majors[0]! } : undefined;
}

/** pg_dump --schema-only, without the lines that differ between any two runs (versions, \restrict keys). */
export function schemaDump(bin: string, url: string): string {
  const out = execFileSync(bin, ['--schema-only', '--dbname', url], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l) && !/^-- Dumped (from|by) /.test(l))
    .join('\n');
}
