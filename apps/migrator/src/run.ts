import path from 'node:path';
import {
  migrationsFolder as defaultMigrationsFolder,
  rollbackFolder as defaultRollbackFolder,
  securityPolicy as defaultSecurityPolicy,
  MigrationFileError,
  type RollbackFile,
  readRollbackFile,
} from '@gym/db/migrations';
import type pg from 'pg';
import { type ApplySettings, applyInOneTransaction, applyMigration } from './apply.js';
import { connect } from './connect.js';
import {
  EditedMigrationError,
  InterruptedError,
  MigrationFailedError,
  StandbyError,
  UnknownAppliedMigrationError,
  UsageError,
} from './errors.js';
import { noticeToEvent, type Reporter, silentReporter } from './events.js';
import { acquireLock } from './lock.js';
import {
  type AppliedRow,
  atSecurityBaseline,
  type LocalMigration,
  loadMigrations,
  MIGRATIONS_TABLE,
  type MigrationState,
  type Phase,
  planMigrate,
  readApplied,
  reconcile,
  resolveTarget,
} from './plan.js';
import { checkSecurity, type SecurityFinding, type SecurityPolicy } from './security.js';
import { SecurityGate } from './security-gate.js';
import { assertLockHeldHere, assertOneBackend } from './session-check.js';
import { describeTarget, parseDatabaseUrl } from './url.js';

export interface RunOptions {
  url: string | undefined;
  /** Journal tag (or its number) to stop at: migrate up to and including it, or roll back to just after it. */
  to?: string;
  /**
   * migrate only: apply the pending pre-deploy migrations and leave every post-deploy one pending (the deploy
   * job's first step, before the new app is rolled out).
   */
  preDeploy?: boolean;
  dryRun?: boolean;
  reporter?: Reporter;
  signal?: AbortSignal;
  lockTimeoutMs?: number;
  lockRetries?: number;
  lockWaitMs?: number;
  connectTimeoutMs?: number;
  connectRetryForMs?: number;
  migrationsFolder?: string;
  rollbackFolder?: string;
  /** What the security check holds the database to, once its security-baseline migration is applied. */
  securityPolicy?: SecurityPolicy;
}

export const defaults = {
  // Short: while DDL queues for its lock, the app's queries on that table queue behind it. Retries make up for it.
  lockTimeoutMs: 500,
  lockRetries: 10,
  lockWaitMs: 60_000,
  connectTimeoutMs: 5000,
  connectRetryForMs: 30_000,
} as const;

export interface StatusRow {
  tag: string;
  phase: Phase;
  state: 'applied' | 'pending' | 'edited';
  appliedAt: Date | null;
}

interface Session {
  /** The --to migration, resolved (and validated) before connecting. */
  target: LocalMigration | undefined;
  local: LocalMigration[];
  client: pg.Client;
  states: MigrationState[];
  unknown: AppliedRow[];
  reporter: Reporter;
  settings: ApplySettings;
  gate: SecurityGate;
}

/**
 * Connects (with retries), takes the advisory lock, reads what is applied and refuses edited migrations,
 * all before anything is written. `body` then does the work under the lock.
 *
 * The lock is held by the same connection that runs the statements, on purpose: a session-level lock lives
 * exactly as long as its backend, and the backend that runs a statement outlives a migrator killed with
 * SIGKILL until that statement ends. A lock on a second, idle connection would be released at once (or
 * dropped by idle_session_timeout, a pooler or a firewall in the middle of a long run) and let the next
 * migrator start beside a statement that is still running.
 */
async function withSession<T>(opts: RunOptions, locked: boolean, body: (s: Session) => Promise<T>): Promise<T> {
  const reporter = opts.reporter ?? silentReporter;
  const url = parseDatabaseUrl(opts.url);
  const local = loadMigrations(opts.migrationsFolder ?? defaultMigrationsFolder);
  const target = resolveTarget(local, opts.to);
  const connectOptions = {
    url,
    reporter,
    connectTimeoutMs: opts.connectTimeoutMs ?? defaults.connectTimeoutMs,
    retryForMs: opts.connectRetryForMs ?? defaults.connectRetryForMs,
    signal: opts.signal,
  };
  const client = await connect(connectOptions);
  let release: (() => Promise<void>) | undefined;
  let currentTag = '';
  client.on('notice', (n) => {
    if (currentTag && n.message) reporter(noticeToEvent(currentTag, n.message));
  });
  try {
    const { rows } = await client.query<{ v: string; standby: boolean }>(
      `SELECT current_setting('server_version') AS v, pg_is_in_recovery() AS standby`,
    );
    reporter({ event: 'connected', target: describeTarget(url), serverVersion: rows[0]?.v ?? '?' });
    // Managed services often set these on the role or the database. They are meant for the app's queries:
    // a migration's archive copy or index build runs long on purpose, and one cut short would be retried
    // from its start on every run. Cleared for this session only (transaction_timeout is PostgreSQL 17's).
    await client.query(
      `SELECT set_config(name, '0', false) FROM pg_settings
        WHERE name IN ('statement_timeout', 'idle_in_transaction_session_timeout', 'idle_session_timeout', 'transaction_timeout')`,
    );
    if (locked && rows[0]?.standby) {
      throw new StandbyError(
        `${describeTarget(url)} is a read-only standby (pg_is_in_recovery() is true), where nothing can be migrated and the migration lock protects nothing`,
        'Point DATABASE_URL at the primary (on a managed service, its read-write endpoint); nothing was changed.',
      );
    }
    if (locked) {
      await assertOneBackend(client, () => connect({ ...connectOptions, reporter: silentReporter, retryForMs: 0 }));
      release = await acquireLock(client, {
        waitMs: opts.lockWaitMs ?? defaults.lockWaitMs,
        reporter,
        signal: opts.signal,
      });
      await assertLockHeldHere(client);
    }
    const { states, unknown } = reconcile(local, await readApplied(client));
    if (locked) refuseUnknown(unknown);
    const settings: ApplySettings = {
      lockTimeoutMs: opts.lockTimeoutMs ?? defaults.lockTimeoutMs,
      lockRetries: opts.lockRetries ?? defaults.lockRetries,
      reporter: (e) => {
        if (e.event === 'migration_start') currentTag = e.tag;
        reporter(e);
      },
      signal: opts.signal,
    };
    const gate = new SecurityGate(opts.securityPolicy ?? defaultSecurityPolicy, reporter);
    return await body({ client, target, local, states, unknown, reporter, settings, gate });
  } finally {
    currentTag = '';
    if (release) await release();
    await client.end().catch(() => {});
  }
}

function refuseEdited(states: MigrationState[]): void {
  const edited = states.filter((s) => s.state === 'edited').map((s) => s.migration.tag);
  if (edited.length === 0) return;
  throw new EditedMigrationError(
    edited,
    `${edited.map((t) => `${t}.sql`).join(', ')} changed after ${edited.length === 1 ? 'it was' : 'they were'} applied (its sha256 no longer matches drizzle.__drizzle_migrations)`,
    'Restore the file from version control (git checkout -- packages/db/migrations) and put the change in a new migration (pnpm db:generate); nothing was changed.',
  );
}

function refuseUnknown(unknown: AppliedRow[]): void {
  if (unknown.length === 0) return;
  const rows = unknown.map((u) => `created_at ${u.createdAt ?? 'null'}, hash ${u.hash.slice(0, 12)}…`).join('; ');
  throw new UnknownAppliedMigrationError(
    `drizzle.__drizzle_migrations records ${unknown.length === 1 ? 'a migration' : `${unknown.length} migrations`} that the journal does not have (${rows}): one was regenerated, renamed or removed after it was applied, so the files no longer describe this database`,
    'Restore the migration and its journal entry as they were when applied (git log -- packages/db/migrations) and put any change in a new migration; nothing was changed.',
  );
}

/** The journal indexes of the migrations applied in `states`. */
function appliedSet(states: MigrationState[]): Set<number> {
  return new Set(states.filter((s) => s.state !== 'pending').map((s) => s.migration.idx));
}

async function ensureMigrationsTable(client: pg.Client): Promise<void> {
  // Drizzle's own table, plus an applied_at column with a default: drizzle's migrate() never names it,
  // so the table stays usable by both.
  await client.query('CREATE SCHEMA IF NOT EXISTS drizzle');
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
  );
  await client.query(`ALTER TABLE ${MIGRATIONS_TABLE} ADD COLUMN IF NOT EXISTS applied_at timestamptz DEFAULT now()`);
}

function checkStop(signal: AbortSignal | undefined, done: string[], remaining: string[]): void {
  if (!signal?.aborted || remaining.length === 0) return;
  throw new InterruptedError(
    `stopped by a signal${done.length ? ` after ${done.join(', ')}` : ''}; ${remaining.join(', ')} not run`,
    'Run the migrator again to continue.',
  );
}

export async function migrate(opts: RunOptions): Promise<{ applied: string[]; heldBack: string[]; waiting: string[] }> {
  const started = Date.now();
  return withSession(opts, true, async ({ client, target, local, states, reporter, settings, gate }) => {
    refuseEdited(states);
    const plan = planMigrate(states, target, !!opts.preDeploy);
    const pending = plan.apply;
    const heldBackTags = plan.heldBack.map((m) => m.tag);
    const waitingTags = plan.waiting.map((m) => m.tag);
    const applied = states.filter((s) => s.state !== 'pending');
    const newest = applied.reduce<LocalMigration | undefined>(
      (a, s) => (!a || s.migration.when > a.when ? s.migration : a),
      undefined,
    );
    for (const m of pending) {
      if (newest && m.when < newest.when) reporter({ event: 'out_of_order', tag: m.tag, newestApplied: newest.tag });
    }
    reporter({
      event: 'plan',
      command: 'migrate',
      step: opts.preDeploy ? 'pre-deploy' : 'all',
      tags: pending.map((m) => m.tag),
      migrations: pending.map((m) => ({ tag: m.tag, phase: m.phase })),
      heldBack: heldBackTags,
      waiting: waitingTags,
      dryRun: !!opts.dryRun,
    });
    const result = { heldBack: heldBackTags, waiting: waitingTags };
    if (opts.dryRun) return { applied: [], ...result };
    const done: string[] = [];
    const appliedIdx = appliedSet(states);
    await gate.begin(client, atSecurityBaseline(local, appliedIdx));
    if (pending.length === 0) {
      reporter({ event: 'nothing_to_do', command: 'migrate', heldBack: heldBackTags, waiting: waitingTags });
    } else {
      checkStop(
        opts.signal,
        [],
        pending.map((p) => p.tag),
      );
      await ensureMigrationsTable(client);
      for (const [i, m] of pending.entries()) {
        checkStop(
          opts.signal,
          done,
          pending.slice(i).map((p) => p.tag),
        );
        appliedIdx.add(m.idx);
        await applyMigration(
          client,
          {
            tag: m.tag,
            direction: 'up',
            phase: m.phase,
            statements: m.statements,
            transactional: m.transactional,
            record: (c) =>
              c
                .query(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES ($1, $2)`, [m.hash, m.when])
                .then(() => {}),
            verify: gate.step(m.tag, 'up', m.transactional, atSecurityBaseline(local, appliedIdx)),
          },
          settings,
        );
        done.push(m.tag);
      }
    }
    await gate.end(client, atSecurityBaseline(local, appliedIdx));
    reporter({ event: 'done', command: 'migrate', applied: done, ...result, durationMs: Date.now() - started });
    return { applied: done, ...result };
  });
}

function loadRollback(folder: string, tag: string): { statements: string[]; transactional: boolean } {
  let rollback: RollbackFile | undefined;
  try {
    rollback = readRollbackFile(folder, tag);
  } catch (err) {
    if (err instanceof MigrationFileError) throw new UsageError(err.message, err.hint);
    throw err;
  }
  if (!rollback) {
    throw new MigrationFailedError(
      tag,
      `there is no rollback file for ${tag} (${path.join(folder, `${tag}.sql`)})`,
      'Write one before rolling this migration back; nothing was changed.',
    );
  }
  return { statements: rollback.statements, transactional: !rollback.directives.has('no-transaction') };
}

/**
 * Rolls back the last applied migration, or every applied migration after --to, newest first. When every
 * rollback file involved is transactional, they run in one transaction: all of them or none.
 */
export async function rollback(opts: RunOptions): Promise<{ rolledBack: string[] }> {
  const started = Date.now();
  const folder = opts.rollbackFolder ?? defaultRollbackFolder;
  return withSession(opts, true, async ({ client, target, local, states, reporter, settings, gate }) => {
    refuseEdited(states);
    const applied = states.filter((s): s is Extract<MigrationState, { row: AppliedRow }> => s.state !== 'pending');
    const chosen = (target ? applied.filter((s) => s.migration.idx > target.idx) : applied.slice(-1)).reverse();
    const plans = chosen.map((s) => ({ state: s, ...loadRollback(folder, s.migration.tag) }));
    reporter({ event: 'plan', command: 'rollback', tags: chosen.map((s) => s.migration.tag), dryRun: !!opts.dryRun });
    if (opts.dryRun) return { rolledBack: [] };
    const remaining = appliedSet(states);
    await gate.begin(client, atSecurityBaseline(local, remaining));
    if (plans.length === 0) {
      reporter({ event: 'nothing_to_do', command: 'rollback' });
      await gate.end(client, atSecurityBaseline(local, remaining));
      reporter({ event: 'done', command: 'rollback', applied: [], durationMs: Date.now() - started });
      return { rolledBack: [] };
    }
    const runs = plans.map((p) => {
      remaining.delete(p.state.migration.idx);
      return {
        tag: p.state.migration.tag,
        direction: 'down' as const,
        phase: p.state.migration.phase,
        statements: p.statements,
        transactional: p.transactional,
        record: (c: pg.Client) =>
          c.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE id = $1`, [p.state.row.id]).then(() => {}),
        verify: gate.step(
          p.state.migration.tag,
          'down',
          p.transactional,
          atSecurityBaseline(local, new Set(remaining)),
        ),
      };
    });
    const done: string[] = [];
    if (runs.length > 1 && runs.every((r) => r.transactional)) {
      // All or nothing: a rollback refused halfway must not leave the later migrations rolled back.
      checkStop(
        opts.signal,
        done,
        runs.map((r) => r.tag),
      );
      await applyInOneTransaction(client, runs, settings);
      done.push(...runs.map((r) => r.tag));
    } else {
      for (const [i, run] of runs.entries()) {
        checkStop(
          opts.signal,
          done,
          runs.slice(i).map((r) => r.tag),
        );
        await applyMigration(client, run, settings);
        done.push(run.tag);
      }
    }
    await dropEmptyBookkeeping(client);
    await gate.end(client, atSecurityBaseline(local, remaining));
    reporter({ event: 'done', command: 'rollback', applied: done, durationMs: Date.now() - started });
    return { rolledBack: done };
  });
}

/**
 * Once every migration is rolled back, the migrations table (and the drizzle schema, when it holds nothing
 * else) goes too: rolling everything back leaves an empty database, as before the first migrate. The next
 * migrate creates them again.
 */
async function dropEmptyBookkeeping(client: pg.Client): Promise<void> {
  await client.query(`DO $$
BEGIN
  IF to_regclass('${MIGRATIONS_TABLE}') IS NULL OR EXISTS (SELECT 1 FROM ${MIGRATIONS_TABLE}) THEN
    RETURN;
  END IF;
  DROP TABLE ${MIGRATIONS_TABLE};
  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = 'drizzle'::regnamespace)
     AND NOT EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = 'drizzle'::regnamespace)
     AND NOT EXISTS (SELECT 1 FROM pg_type WHERE typnamespace = 'drizzle'::regnamespace) THEN
    DROP SCHEMA drizzle;
  END IF;
END
$$`);
}

/**
 * Every migration in the journal with its state; edited ones are marked, not refused. Takes no lock. Once
 * the security baseline is applied, also what the security check finds (null before it).
 */
export async function status(
  opts: RunOptions,
): Promise<{ rows: StatusRow[]; unknown: AppliedRow[]; security: SecurityFinding[] | null }> {
  return withSession(opts, false, async ({ client, local, states, unknown }) => ({
    rows: states.map((s) => ({
      tag: s.migration.tag,
      phase: s.migration.phase,
      state: s.state,
      appliedAt: s.state === 'pending' ? null : s.row.appliedAt,
    })),
    unknown,
    security: atSecurityBaseline(local, appliedSet(states))
      ? await checkSecurity(client, opts.securityPolicy ?? defaultSecurityPolicy)
      : null,
  }));
}
