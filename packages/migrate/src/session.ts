import {
  migrationsFolder as defaultMigrationsFolder,
  securityPolicy as defaultSecurityPolicy,
} from '@gym/db/migrations';
import type pg from 'pg';
import type { ApplySettings } from './apply.js';
import { connect } from './connect.js';
import { InterruptedError, StandbyError } from './errors.js';
import { noticeToEvent, type Reporter, silentReporter } from './events.js';
import { acquireLock } from './lock.js';
import { type LocalMigration, loadMigrations, type MigrationState, reconcile, resolveTarget } from './plan.js';
import type { SecurityPolicy } from './security.js';
import { SecurityGate } from './security-gate.js';
import { assertLockHeldHere, assertOneBackend } from './session-check.js';
import { type AppliedRow, readApplied, refuseUnknown } from './state.js';
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

export interface Session {
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
export async function withSession<T>(opts: RunOptions, locked: boolean, body: (s: Session) => Promise<T>): Promise<T> {
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

/** Between two migrations: a signal stops the run there, with what was done and what was not. */
export function checkStop(signal: AbortSignal | undefined, done: string[], remaining: string[]): void {
  if (!signal?.aborted || remaining.length === 0) return;
  throw new InterruptedError(
    `stopped by a signal${done.length ? ` after ${done.join(', ')}` : ''}; ${remaining.join(', ')} not run`,
    'Run the migrator again to continue.',
  );
}
