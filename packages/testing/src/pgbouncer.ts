import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@gym/local-pg';
import { waitFor } from './wait';

/** The pgbouncer binary (Debian's package puts it in /usr/sbin), or undefined when it is not installed. */
export function findPgbouncer(): string | undefined {
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() || undefined : undefined;
}

export interface Pgbouncer {
  /** A URL through the pooler to `database` on the server behind it. */
  url(database: string): string;
  stop(): Promise<void>;
}

/**
 * A real PgBouncer in front of the server of `serverUrl`, in the given pool mode. It logs in to the server
 * with the credentials of `serverUrl`, whatever the client sends (auth_type = any). PgBouncer refuses to
 * run as root, so under root it runs as `nobody`.
 */
export async function startPgbouncer(
  binary: string,
  serverUrl: string,
  mode: 'transaction' | 'session',
): Promise<Pgbouncer> {
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-pgbouncer-'));
  fs.chmodSync(dir, 0o755);
  const ini = path.join(dir, 'pgbouncer.ini');
  const login = [
    `host=${server.hostname}`,
    `port=${server.port || 5432}`,
    `user=${decodeURIComponent(server.username) || 'postgres'}`,
    ...(server.password ? [`password=${decodeURIComponent(server.password)}`] : []),
  ].join(' ');
  fs.writeFileSync(
    ini,
    [
      '[databases]',
      `* = ${login}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      `pool_mode = ${mode}`,
      'default_pool_size = 4',
      'max_client_conn = 50',
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
  );
  fs.chmodSync(ini, 0o644);
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = asRoot
    ? spawn('runuser', ['-u', 'nobody', '--', binary, ini], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(binary, [ini], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  await waitFor(
    `pgbouncer (${mode} mode) to listen on 127.0.0.1:${port}`,
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => resolve(!!socket.end()));
        socket.once('error', () => resolve(false));
      }),
    { timeoutMs: 20_000, intervalMs: 50, stopIf: () => (exited ? `pgbouncer exited: ${log}` : undefined) },
  );
  return {
    url: (database) => `postgres://gym:unused@127.0.0.1:${port}/${database}`,
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
