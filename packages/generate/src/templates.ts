/**
 * The machinery every lock-safe migration needs, written once: the no-transaction guard, guards that make a
 * statement safe to repeat, the INVALID-index leftover, NOT VALID then VALIDATE, batches sized by time, the
 * NOT NULL dance, and archives in gym_migrations for a lossless rollback. The rules fill them in; no
 * generated file carries machinery of its own.
 */
import { ident, literal, qualified, regclass, type TableName } from './sql.js';

/** Where migrations keep what they archive: outside public, which Supabase serves through its API. */
export const ARCHIVE_SCHEMA = 'gym_migrations';

/** How long one batch may hold its row locks before it commits (issue 19: about 20 ms). */
export const BATCH_TARGET_MS = 20;

// Dollar quotes of their own, so that a body may hold $$ (a policy, a default) without ending the block.
const DO = (body: string) => `DO $gym$\n${body.trim()}\n$gym$;`;

/**
 * Refuses to run inside a transaction block (drizzle-kit migrate and drizzle-orm's migrate() run every file in
 * one), where CREATE INDEX CONCURRENTLY and committed batches cannot work: one line, before anything changes.
 * In autocommit a statement's now() is its own start time; inside a transaction block it is earlier.
 */
export function noTransactionGuard(tag: string): string {
  return `DO $gym$ BEGIN IF now() <> statement_timestamp() THEN RAISE EXCEPTION ${literal(
    `${tag} cannot run inside a transaction block (drizzle-kit migrate and drizzle-orm migrate() run migrations that way); apply it with pnpm db:migrate, which runs it statement by statement`,
  )} USING ERRCODE = 'GYM05'; END IF; END $gym$;`;
}

/**
 * A bound for psql -f: only when no lock_timeout is set, so that the migrator's --lock-timeout wins.
 */
export function psqlLockTimeout(): string {
  return `SELECT set_config('lock_timeout', '2s', false) WHERE current_setting('lock_timeout') IN ('0', '0ms');`;
}

/** Runs `sql` only when `condition` holds: a statement that changes nothing when repeated. */
export function guarded(condition: string, sql: string): string {
  return DO(
    `BEGIN\n  IF ${condition} THEN\n    ${sql.trim().replace(/;?$/, ';').replace(/\n/g, '\n    ')}\n  END IF;\nEND`,
  );
}

export function tableExists(t: TableName): string {
  return `to_regclass(${regclass(t)}) IS NOT NULL`;
}

export function constraintExists(t: TableName, name: string): string {
  return `EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(${regclass(t)}) AND conname = ${literal(name)})`;
}

export function columnExists(t: TableName, column: string): string {
  return `EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${regclass(t)}) AND attname = ${literal(column)} AND NOT attisdropped)`;
}

export function columnIsNotNull(t: TableName, column: string): string {
  return `EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${regclass(t)}) AND attname = ${literal(column)} AND NOT attisdropped AND attnotnull)`;
}

export function policyExists(t: TableName, name: string): string {
  return `EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = to_regclass(${regclass(t)}) AND polname = ${literal(name)})`;
}

export function typeExists(schema: string, name: string): string {
  return `EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ${literal(schema)} AND t.typname = ${literal(name)})`;
}

/**
 * A CREATE INDEX CONCURRENTLY that was interrupted leaves an INVALID index behind, which IF NOT EXISTS would
 * then take as done: drop it first (dropping an index nobody uses is a catalog change).
 */
export function dropInvalidIndex(schema: string, index: string): string {
  const name = `${ident(schema)}.${ident(index)}`;
  return DO(`BEGIN
  IF EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(${literal(name)}) AND NOT indisvalid) THEN
    RAISE NOTICE 'dropping the INVALID index % left by an interrupted run', ${literal(name)};
    DROP INDEX ${name};
  END IF;
END`);
}

/**
 * VALIDATE a constraint added NOT VALID: a scan under SHARE UPDATE EXCLUSIVE, which blocks no reads and no
 * writes. Rows that break it fail the migration in one line; the NOT VALID constraint is dropped again first
 * (committed), so the database is left as before the step and a rerun starts it over.
 */
export function validateConstraint(t: TableName, name: string, what: string, fix: string): string {
  return DO(`DECLARE
  v_failed text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(${regclass(t)}) AND conname = ${literal(name)} AND NOT convalidated) THEN
    RETURN;
  END IF;
  BEGIN
    ALTER TABLE ${qualified(t)} VALIDATE CONSTRAINT ${ident(name)};
  EXCEPTION WHEN check_violation OR foreign_key_violation THEN
    v_failed := SQLERRM;
  END;
  IF v_failed IS NOT NULL THEN
    ALTER TABLE ${qualified(t)} DROP CONSTRAINT IF EXISTS ${ident(name)};
    COMMIT;
    RAISE EXCEPTION '%: %; nothing else was changed', ${literal(what)}, v_failed
      USING ERRCODE = 'GYM08', HINT = ${literal(fix)};
  END IF;
END`);
}

export interface BatchLoop {
  table: TableName;
  /** The single-column primary key the batches walk, in key order. */
  key: string;
  /** Shown in progress notices. */
  label: string;
  /** Runs once before the first batch; `RETURN;` skips the whole loop (already done). */
  before?: string;
  /** One batch's work on the rows whose key is in [v_lo, v_hi]; its row count is what the notice reports. */
  body: string;
  /** Session settings for each batch's transaction (set_config(..., true)), e.g. to keep triggers quiet. */
  settings: Record<string, string>;
}

/**
 * Committed batches sized by time, not rows: each batch walks the next keys of the primary key, does its work
 * and commits, and the next batch is sized from how long this one took, so that no batch holds its row locks
 * for much longer than BATCH_TARGET_MS, whatever the row width, the indexes or the triggers (it grows at
 * most twofold at a time, and shrinks at once when a batch ran long or waited on a lock).
 */
export function batchLoop(loop: BatchLoop): string {
  const t = qualified(loop.table);
  const k = ident(loop.key);
  const keyType = `${t}.${k}%TYPE`;
  const settings = Object.entries(loop.settings)
    .map(([name, value]) => `\n    PERFORM set_config(${literal(name)}, ${literal(value)}, true);`)
    .join('');
  return DO(`DECLARE
  v_target_ms constant numeric := ${BATCH_TARGET_MS};
  v_size integer := 100;
  v_lo ${keyType};
  v_hi ${keyType};
  v_last ${keyType};
  v_first boolean := true;
  v_rows bigint;
  v_done bigint := 0;
  v_batches bigint := 0;
  v_ms numeric;
  v_batch_started timestamptz;
  v_started timestamptz := clock_timestamp();
  v_reported timestamptz := clock_timestamp();
BEGIN
  ${(loop.before ?? '').trim().replace(/\n/g, '\n  ')}
  LOOP
    v_batch_started := clock_timestamp();${settings}
    -- The batch is the next v_size keys (min() and max() have no uuid version before PostgreSQL 16).
    IF v_first THEN
      SELECT ${k} INTO v_lo FROM ${t} ORDER BY ${k} LIMIT 1;
    ELSE
      SELECT ${k} INTO v_lo FROM ${t} WHERE ${k} > v_last ORDER BY ${k} LIMIT 1;
    END IF;
    EXIT WHEN v_lo IS NULL;
    SELECT b.k INTO v_hi FROM (SELECT ${k} AS k FROM ${t} WHERE ${k} >= v_lo ORDER BY ${k} LIMIT v_size) b ORDER BY b.k DESC LIMIT 1;
    ${loop.body.trim().replace(/;?$/, ';').replace(/\n/g, '\n    ')}
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    COMMIT;
    v_first := false;
    v_last := v_hi;
    v_done := v_done + v_rows;
    v_batches := v_batches + 1;
    v_ms := greatest(extract(epoch FROM clock_timestamp() - v_batch_started) * 1000, 0.1);
    v_size := greatest(1, least(v_size * 2, floor(v_size * v_target_ms / v_ms)::integer));
    IF clock_timestamp() - v_reported > interval '5 seconds' THEN
      v_reported := clock_timestamp();
      RAISE NOTICE 'progress ${loop.label.replace(/'/g, "''")} rows=% batches=% batch_size=% rate=%/s', v_done, v_batches, v_size,
        round(v_done / greatest(extract(epoch FROM clock_timestamp() - v_started), 0.001));
    END IF;
  END LOOP;
  RAISE NOTICE '${loop.label.replace(/'/g, "''")}: % row(s) in % batch(es)', v_done, v_batches;
END`);
}

/**
 * Nobody but the owner may use gym_migrations, whatever default privileges the database grants (Supabase
 * grants anon and authenticated everything in public; a database may grant on every schema). Tables moved
 * there keep their own privileges, so that a rollback gives them back as they were: the schema is locked.
 */
export function lockArchiveSchema(): string {
  return DO(`DECLARE
  r record;
BEGIN
  REVOKE ALL ON SCHEMA ${ARCHIVE_SCHEMA} FROM PUBLIC;
  FOR r IN
    SELECT DISTINCT a.grantee::regrole::text AS grantee
      FROM pg_namespace n, aclexplode(n.nspacl) a
     WHERE n.nspname = ${literal(ARCHIVE_SCHEMA)} AND a.grantee <> n.nspowner AND a.grantee <> 0
  LOOP
    EXECUTE format('REVOKE ALL ON SCHEMA ${ARCHIVE_SCHEMA} FROM %s', r.grantee);
  END LOOP;
END`);
}

/** An archive table's privileges: its owner's only. */
export function lockArchiveTable(name: string): string {
  const t = `${ARCHIVE_SCHEMA}.${ident(name)}`;
  return `DO $gym$
DECLARE
  r record;
BEGIN
  REVOKE ALL ON ${t} FROM PUBLIC;
  FOR r IN
    SELECT DISTINCT a.grantee::regrole::text AS grantee FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.oid = to_regclass(${literal(t)}) AND a.grantee <> c.relowner AND a.grantee <> 0
  LOOP
    EXECUTE format('REVOKE ALL ON ${t.replace(/%/g, '%%')} FROM %s', r.grantee);
  END LOOP;
END
$gym$;`;
}

/** Drops gym_migrations once a rollback has emptied it. */
export function dropEmptyArchiveSchema(): string {
  return DO(`BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = to_regnamespace(${literal(ARCHIVE_SCHEMA)}))
     AND NOT EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = to_regnamespace(${literal(ARCHIVE_SCHEMA)})) THEN
    DROP SCHEMA IF EXISTS ${ARCHIVE_SCHEMA};
  END IF;
END`);
}

/** A deterministic archive name of at most 63 bytes: the migration's tag, then what it archives. */
export function archiveName(tag: string, ...parts: string[]): string {
  const full = [tag, ...parts].join('__');
  if (Buffer.byteLength(full) <= 63) return full;
  let h = 0;
  for (const ch of full) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  const suffix = `_${(h >>> 0).toString(16)}`;
  return full.slice(0, 63 - suffix.length) + suffix;
}

/** The name of the temporary CHECK (col IS NOT NULL) that lets SET NOT NULL skip its scan. */
export function notNullCheckName(table: string, column: string): string {
  const base = `${table}_${column}`;
  const suffix = '_not_null_chk';
  return base.length + suffix.length <= 63
    ? `${base}${suffix}`
    : archiveName('', base).slice(2, 63 - suffix.length) + suffix;
}
