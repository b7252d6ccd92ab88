import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;

const USER_SCHEMAS = `n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'`;

/**
 * Every user object in the database, in every schema (catalogSnapshot looks at public and drizzle only):
 * schemas with their privileges, relations, functions, types, default privileges, extensions. Two equal
 * snapshots mean the same objects exist; used to prove that rolling everything back leaves nothing behind.
 */
export async function wholeCatalog(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ x: string }>(
    `SELECT 'schema ' || n.nspname || ' owner=' || pg_get_userbyid(n.nspowner) || ' acl=' || coalesce(n.nspacl::text, '-') AS x
       FROM pg_namespace n WHERE ${USER_SCHEMAS}
     UNION ALL
     SELECT 'relation ' || n.nspname || '.' || c.relname || ' kind=' || c.relkind::text
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_SCHEMAS}
     UNION ALL
     SELECT 'function ' || p.oid::regprocedure::text
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_SCHEMAS}
     UNION ALL
     SELECT 'type ' || n.nspname || '.' || t.typname
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ${USER_SCHEMAS}
     UNION ALL
     SELECT 'default acl ' || pg_get_userbyid(d.defaclrole) || ' ' || d.defaclobjtype::text || ' ' || d.defaclacl::text
       FROM pg_default_acl d
     UNION ALL
     SELECT 'extension ' || extname FROM pg_extension
     UNION ALL
     SELECT 'event trigger ' || evtname FROM pg_event_trigger`,
  );
  return rows.map((r) => r.x).sort();
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
