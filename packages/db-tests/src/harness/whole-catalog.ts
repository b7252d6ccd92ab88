import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type pg from 'pg';
import { npmPgDump, type PgDump } from './pg-dump';

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

export function schemaDump(bin: string, url: string): string {
  const out = execFileSync(bin, ['--schema-only', '--dbname', url], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l) && !/^-- Dumped (from|by) /.test(l))
    .join('\n');
}
