import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * What the migrations declare about who may reach what: the schemas the API serves (Supabase's PostgREST
 * serves `public`), the schemas whose functions the migrations write, and the API's two roles. The check
 * below holds a database to it after every migration and rollback step, once the migration that set it up
 * (the one marked `-- migrator: security-baseline`) is applied.
 */
export interface SecurityPolicy {
  /** Schemas an API serves to anon and authenticated callers. */
  exposedSchemas: string[];
  /** Schemas whose functions the migrations own: every one must pin its search_path. */
  ownSchemas: string[];
  /** The role of a request without a sign-in (Supabase: anon). */
  anonRole: string;
  /** The role of any signed-in request (Supabase: authenticated). */
  authenticatedRole: string;
}

/** Supabase's conventions: PostgREST serves public; anon and authenticated are the request roles. */
export const supabaseSecurityPolicy: SecurityPolicy = {
  exposedSchemas: ['public'],
  ownSchemas: ['public'],
  anonRole: 'anon',
  authenticatedRole: 'authenticated',
};

/** The checks, named after Supabase's linter (splinter) where it has the same one. */
export type SecurityCheckName =
  | 'rls_disabled_in_public'
  | 'security_definer_view'
  | 'anon_privilege_without_policy'
  | 'api_role_privilege_bypassing_rls'
  | 'rls_policy_always_true'
  | 'function_search_path_mutable'
  | 'security_definer_search_path_without_pg_temp'
  | 'anon_security_definer_function_executable'
  | 'authenticated_security_definer_function_executable'
  | 'anon_function_executable'
  | 'api_role_can_create';

export interface SecurityFinding {
  check: SecurityCheckName;
  /** The object, as PostgreSQL names it (a regclass or regprocedure), and what is wrong with it. */
  object: string;
  /** One SQL statement (or a sentence) that fixes it, for a new migration. */
  fix: string;
}

// Objects that belong to an extension are the extension's business, as splinter sees it too.
const notExtensionMember = (oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = ${oid} AND d.deptype = 'e')`;

// PostgreSQL 17's MAINTAIN privilege (VACUUM, ANALYZE, REINDEX, LOCK TABLE), which earlier versions refuse to name.
const maintain = `CASE WHEN current_setting('server_version_num')::int >= 170000 THEN ARRAY['MAINTAIN'] ELSE '{}'::text[] END`;

/** SECURITY DEFINER functions in an exposed schema that the role in parameter `role` ($3 or $4) may execute. */
function definerExecutableBy(role: '$3' | '$4', hint: string): string {
  return `SELECT p.oid::regprocedure::text AS object,
                 format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, %I${hint}', p.oid::regprocedure, ${role}::text) AS fix
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = ANY ($1) AND p.prosecdef AND ${notExtensionMember('p.oid')}
             AND pg_catalog.has_function_privilege(${role}::text, p.oid, 'EXECUTE')`;
}

// $1 exposed schemas, $2 own schemas, $3 anon, $4 authenticated. Queries that name a role run only when it exists.
const checks: { name: SecurityCheckName; roles?: ('anon' | 'authenticated')[]; sql: string }[] = [
  {
    name: 'rls_disabled_in_public',
    sql: `SELECT c.oid::regclass::text AS object,
                 format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY (then give it the policies it needs)', c.oid::regclass) AS fix
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = ANY ($1) AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND ${notExtensionMember('c.oid')}`,
  },
  {
    name: 'security_definer_view',
    sql: `SELECT c.oid::regclass::text AS object,
                 format('ALTER VIEW %s SET (security_invoker = true)', c.oid::regclass) AS fix
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = ANY ($1) AND c.relkind = 'v' AND ${notExtensionMember('c.oid')}
             AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(c.reloptions, '{}')) o
                              WHERE lower(o) IN ('security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes'))`,
  },
  {
    // A privilege of anon's is what the schema declares public only where a policy for anon covers it: RLS
    // then decides which rows. Views have no policies, TRUNCATE, TRIGGER and REFERENCES no rows, sequences
    // neither, so anon may hold none of those.
    name: 'anon_privilege_without_policy',
    roles: ['anon'],
    sql: `SELECT format('%s (%s for %s)', c.oid::regclass, p.priv, $3::text) AS object,
                 format('REVOKE %s ON %s FROM %I', p.priv, c.oid::regclass, $3::text) AS fix
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] || ${maintain}) AS p(priv)
           WHERE n.nspname = ANY ($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${notExtensionMember('c.oid')}
             AND (pg_catalog.has_table_privilege($3::text, c.oid, p.priv)
                  OR (p.priv IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
                      AND pg_catalog.has_any_column_privilege($3::text, c.oid, p.priv)))
             AND NOT (c.relkind IN ('r', 'p') AND c.relrowsecurity AND p.priv IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
                      AND EXISTS (SELECT 1 FROM pg_catalog.pg_policy pol
                                   WHERE pol.polrelid = c.oid AND pol.polpermissive
                                     AND (to_regrole($3::text) = ANY (pol.polroles) OR 0::oid = ANY (pol.polroles))
                                     AND pol.polcmd IN ('*', CASE p.priv WHEN 'SELECT' THEN 'r' WHEN 'INSERT' THEN 'a'
                                                                         WHEN 'UPDATE' THEN 'w' ELSE 'd' END::"char")))
          UNION ALL
          SELECT format('%s (%s for %s)', c.oid::regclass, p.priv, $3::text),
                 format('REVOKE %s ON SEQUENCE %s FROM %I', p.priv, c.oid::regclass, $3::text)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           CROSS JOIN unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) AS p(priv)
           WHERE n.nspname = ANY ($1) AND c.relkind = 'S' AND ${notExtensionMember('c.oid')}
             AND pg_catalog.has_sequence_privilege($3::text, c.oid, p.priv)`,
  },
  {
    // Row-level security does not apply to TRUNCATE, a trigger of a signed-in user's own would run on
    // everybody's writes, and MAINTAIN (PostgreSQL 17) includes LOCK TABLE: no API role holds these
    // (Supabase's default privileges grant them).
    name: 'api_role_privilege_bypassing_rls',
    roles: ['authenticated'],
    sql: `SELECT format('%s (%s for %s)', c.oid::regclass, p.priv, $4::text) AS object,
                 format('REVOKE %s ON %s FROM %I', p.priv, c.oid::regclass, $4::text) AS fix
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           CROSS JOIN unnest(ARRAY['TRUNCATE', 'TRIGGER', 'REFERENCES'] || ${maintain}) AS p(priv)
           WHERE n.nspname = ANY ($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${notExtensionMember('c.oid')}
             AND (pg_catalog.has_table_privilege($4::text, c.oid, p.priv)
                  OR (p.priv = 'REFERENCES' AND pg_catalog.has_any_column_privilege($4::text, c.oid, p.priv)))`,
  },
  {
    // splinter 0024: a write policy that lets every row through.
    name: 'rls_policy_always_true',
    sql: `SELECT format('policy %s on %s', pol.polname, pol.polrelid::regclass) AS object,
                 format('ALTER POLICY %I ON %s with a condition that is not always true', pol.polname, pol.polrelid::regclass) AS fix
            FROM pg_catalog.pg_policy pol JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = ANY ($1) AND pol.polcmd IN ('a', 'w', 'd', '*')
             AND (pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) IN ('true', '(true)')
                  OR pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) IN ('true', '(true)'))`,
  },
  {
    // splinter 0011: the caller's search_path decides what the function's unqualified names mean.
    name: 'function_search_path_mutable',
    sql: `SELECT p.oid::regprocedure::text AS object,
                 format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, pg_temp', p.oid::regprocedure, n.nspname) AS fix
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = ANY ($2) AND ${notExtensionMember('p.oid')}
             AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) cfg WHERE cfg LIKE 'search_path=%')`,
  },
  {
    // PostgreSQL searches the session's temporary schema first for tables, views and types unless the path
    // names pg_temp (CREATE FUNCTION, "Writing SECURITY DEFINER Functions Safely"): with pg_temp last, a
    // temporary table cannot stand in for a table that a function with its owner's rights reads. An empty
    // path, with every name qualified, is the other safe form.
    name: 'security_definer_search_path_without_pg_temp',
    sql: `SELECT p.oid::regprocedure::text AS object,
                 format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, pg_temp', p.oid::regprocedure, n.nspname) AS fix
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = ANY ($2) AND p.prosecdef AND ${notExtensionMember('p.oid')}
             AND EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) cfg WHERE cfg LIKE 'search_path=%')
             AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) cfg
                              WHERE cfg IN ('search_path=""', 'search_path=')
                                 OR cfg ~ '^search_path=(.*,\\s*)?"?pg_temp"?$')`,
  },
  {
    // splinter 0028 and 0029: a function with its owner's rights in an exposed schema is an RPC endpoint
    // that bypasses RLS for whoever may call it. Expose a SECURITY INVOKER function instead, which calls
    // one with the owner's rights in a schema the API does not serve.
    name: 'anon_security_definer_function_executable',
    roles: ['anon'],
    sql: definerExecutableBy('$3', ''),
  },
  {
    name: 'authenticated_security_definer_function_executable',
    roles: ['authenticated'],
    sql: definerExecutableBy(
      '$4',
      ' (call a SECURITY DEFINER function in a private schema from a SECURITY INVOKER one)',
    ),
  },
  {
    // anon calls nothing of ours: the schema declares no function public.
    name: 'anon_function_executable',
    roles: ['anon'],
    sql: `SELECT p.oid::regprocedure::text AS object,
                 format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, %I', p.oid::regprocedure, $3::text) AS fix
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = ANY ($2) AND NOT (p.prosecdef AND n.nspname = ANY ($1)) AND ${notExtensionMember('p.oid')}
             AND pg_catalog.has_schema_privilege($3::text, n.oid, 'USAGE')
             AND pg_catalog.has_function_privilege($3::text, p.oid, 'EXECUTE')`,
  },
  {
    // A table or function of an API role's own in one of our schemas could stand in for one of ours.
    name: 'api_role_can_create',
    roles: ['anon', 'authenticated'],
    sql: `SELECT format('schema %s (CREATE for %s)', n.nspname, r.role) AS object,
                 format('REVOKE CREATE ON SCHEMA %I FROM %I', n.nspname, r.role) AS fix
            FROM pg_catalog.pg_namespace n CROSS JOIN unnest(ARRAY[$3::text, $4::text]) AS r(role)
           WHERE n.nspname = ANY ($2) AND pg_catalog.has_schema_privilege(r.role, n.oid, 'CREATE')`,
  },
];

export const securityCheckNames: SecurityCheckName[] = checks.map((c) => c.name);

/**
 * Every finding of every check on this database, sorted. Read-only catalog queries, safe inside the
 * migration's own transaction (and cheap: milliseconds).
 */
export async function checkSecurity(db: Queryable, policy: SecurityPolicy): Promise<SecurityFinding[]> {
  const { rows: roles } = await db.query<{ anon: boolean; authenticated: boolean }>(
    `SELECT to_regrole($1) IS NOT NULL AS anon, to_regrole($2) IS NOT NULL AS authenticated`,
    [policy.anonRole, policy.authenticatedRole],
  );
  const present = roles[0]!;
  const ownSchemas = [...new Set([...policy.exposedSchemas, ...policy.ownSchemas])];
  const findings: SecurityFinding[] = [];
  for (const check of checks) {
    if (check.roles?.some((r) => !present[r])) continue;
    const { text, values } = bind(check.sql, [
      policy.exposedSchemas,
      ownSchemas,
      policy.anonRole,
      policy.authenticatedRole,
    ]);
    const { rows } = await db.query<{ object: string; fix: string }>(text, values);
    for (const r of rows) findings.push({ check: check.name, object: r.object, fix: r.fix });
  }
  return findings.sort((a, b) => a.check.localeCompare(b.check) || a.object.localeCompare(b.object));
}

/** PostgreSQL refuses values for parameters a statement does not use: number those it uses, and pass them only. */
function bind(sql: string, all: unknown[]): { text: string; values: unknown[] } {
  const used = [...new Set([...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => `$${used.indexOf(Number(n)) + 1}`);
  return { text, values: used.map((n) => all[n - 1]) };
}

/** The findings of `after` that `before` did not have: what one migration step brought in. */
export function newFindings(before: SecurityFinding[], after: SecurityFinding[]): SecurityFinding[] {
  const key = (f: SecurityFinding) => `${f.check}\u0000${f.object}`;
  const seen = new Set(before.map(key));
  return after.filter((f) => !seen.has(key(f)));
}

/** One line for people: the first finding in full, and how many more. */
export function describeFindings(findings: SecurityFinding[]): string {
  const first = findings[0];
  if (!first) return 'no security finding';
  const more = findings.length > 1 ? ` (and ${findings.length - 1} more: ${summarize(findings.slice(1))})` : '';
  return `${first.check}: ${first.object}; fix: ${first.fix}${more}`;
}

function summarize(findings: SecurityFinding[]): string {
  const shown = findings.slice(0, 4).map((f) => `${f.check} ${f.object}`);
  return findings.length > 4 ? `${shown.join(', ')}, …` : shown.join(', ');
}
