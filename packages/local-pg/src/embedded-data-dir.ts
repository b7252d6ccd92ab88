import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerUser } from './embedded-binaries.js';
import { EmbeddedServerError } from './errors.js';
import type { PgMajor } from './pg-version.js';

/** Written next to postmaster.pid: which process started the server, so that the next run can tell an orphan. */
const OWNER_FILE = 'gym-embedded-owner.json';

function traversableByOthers(dir: string): boolean {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(d) && (fs.statSync(d).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/**
 * Run as root, the server runs as `postgres`, which must be able to reach the data folder. A checkout under
 * /root (mode 700) is out of its reach, so the cluster then lives under the system's temp folder and the
 * folder asked for becomes a symlink to it. As anyone else, the server is that user and the folder stays.
 */
export function reachableDataDir(dataDir: string, user: ServerUser): string {
  if (user.uid === undefined || traversableByOthers(dataDir)) return dataDir;
  if (fs.existsSync(dataDir) && fs.lstatSync(dataDir).isSymbolicLink()) return fs.realpathSync(dataDir);
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) return dataDir;
  const real = path.join(
    os.tmpdir(),
    `gym-db-embedded-${createHash('sha1').update(dataDir).digest('hex').slice(0, 12)}`,
    'pg',
  );
  fs.mkdirSync(path.dirname(real), { recursive: true, mode: 0o755 });
  fs.chmodSync(path.dirname(real), 0o755);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  fs.symlinkSync(real, dataDir);
  return real;
}

/** A data folder is only ever opened by the major that made it; PostgreSQL's own refusal is a 3-line FATAL. */
export function checkMajor(dataDir: string, major: PgMajor, shownDir: string): void {
  const file = path.join(dataDir, 'PG_VERSION');
  if (!fs.existsSync(file)) return;
  const found = fs.readFileSync(file, 'utf8').trim();
  if (found === major) return;
  throw new EmbeddedServerError(
    `the data folder ${shownDir} was made by PostgreSQL ${found}, and this run asks for PostgreSQL ${major} (GYM_PG_VERSION)`,
    `Run with GYM_PG_VERSION=${found} to use it, or move it away (mv ${shownDir} ${shownDir}-pg${found}) to start an empty PostgreSQL ${major} cluster.`,
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` is a PostgreSQL server (by its command name); where /proc cannot say, assume it is. */
function isPostgres(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
  } catch {
    return os.platform() !== 'linux' || fs.existsSync(`/proc/${pid}`);
  }
}

function readOwner(dataDir: string): number | undefined {
  try {
    const { pid } = JSON.parse(fs.readFileSync(path.join(dataDir, OWNER_FILE), 'utf8')) as { pid?: unknown };
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) if (!alive(pid)) return true;
  return !alive(pid);
}

/**
 * Makes the data folder free to start in, or says who holds it. postmaster.pid names a live server when a
 * run is using the folder, when a run was killed (SIGKILL) before its server stopped, or it is stale: its
 * server died without removing it and the pid now belongs to another process, which PostgreSQL mistakes for
 * a server and refuses to start ("lock file already exists"). An orphan (its owner is gone) is stopped
 * here, a stale file removed; a server whose owner lives is left alone.
 */
export async function claimDataDir(dataDir: string, shownDir: string): Promise<void> {
  const lock = path.join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(fs.readFileSync(lock, 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  if (!isPostgres(pid)) {
    fs.rmSync(lock, { force: true });
    return;
  }
  const owner = readOwner(dataDir);
  if (owner === undefined || alive(owner)) {
    throw new EmbeddedServerError(
      `the data folder ${shownDir} is in use by another running PostgreSQL (pid ${pid}${owner ? `, started by process ${owner}` : ''})`,
      'Stop that run first (Ctrl-C in the terminal of pnpm db:start), or point GYM_EMBEDDED_DIR at another folder.',
    );
  }
  // An orphan of a killed run: fast shutdown (SIGINT), then immediate (SIGQUIT) if that does not end it.
  try {
    process.kill(pid, 'SIGINT');
    if (!(await waitForExit(pid, 30_000))) process.kill(pid, 'SIGQUIT');
  } catch {
    // It ended by itself meanwhile.
  }
  if (!(await waitForExit(pid, 10_000))) {
    throw new EmbeddedServerError(
      `the PostgreSQL server left running in ${shownDir} by a killed run (pid ${pid}) does not stop`,
      `Stop it (kill -9 ${pid}) and run again.`,
    );
  }
}

export function writeOwner(dataDir: string): void {
  fs.writeFileSync(path.join(dataDir, OWNER_FILE), `${JSON.stringify({ pid: process.pid })}\n`);
}

export function removeOwner(dataDir: string): void {
  fs.rmSync(path.join(dataDir, OWNER_FILE), { force: true });
}
