import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type PgMajor, pgMajorFromEnv } from '@gym/local-pg';
import { startEmbedded } from '@gym/local-pg/embedded';

export type ServerKind = 'TEST_DATABASE_URL' | 'testcontainers' | 'embedded';

export interface TestServer {
  kind: ServerKind;
  /** A URL to a maintenance database (postgres) on a superuser account: the harness creates databases. */
  adminUrl: string;
  /** Where it came from, for the log: the container's image and id, or nothing. */
  detail?: string;
  stop(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/** The harness's own refusals: one line, shown by vitest without a stack trace. */
export class TestServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestServerError';
    this.stack = `${this.name}: ${message}`;
  }
}

const firstLine = (err: unknown) =>
  String((err as Error)?.message ?? err)
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean) ?? 'unknown error';

/** The image the container path starts: GYM_PG_IMAGE, else the one a Docker user has or can pull. */
export function containerImage(major: PgMajor, env: Env = process.env): string {
  return env.GYM_PG_IMAGE?.trim() || `postgres:${major}-alpine`;
}

/**
 * GYM_TEST_SERVER pins the way to a server when TEST_DATABASE_URL is not set (an explicit URL always comes
 * first): "testcontainers" (no fall-back to the embedded server: how CI proves the container path) or
 * "embedded" (never ask a container runtime). Unset: the first that works.
 */
function pinnedWay(env: Env): 'testcontainers' | 'embedded' | undefined {
  const raw = env.GYM_TEST_SERVER?.trim();
  if (!raw) return undefined;
  if (raw === 'testcontainers' || raw === 'embedded') return raw;
  throw new TestServerError(
    `GYM_TEST_SERVER is "${raw}": set it to testcontainers or embedded, or unset it to take the first way that works`,
  );
}

/**
 * The server the suites run against, in order of preference: TEST_DATABASE_URL when set; a PostgreSQL
 * container when a container runtime answers; otherwise the embedded PostgreSQL from npm. A newcomer's
 * machine has at least the last one. The container and the embedded server run GYM_PG_VERSION (15, 17 or
 * 18; default 15); with TEST_DATABASE_URL the version is that server's.
 *
 * Only the absence of a container runtime falls back to the embedded server: when one answers and the
 * container cannot start (no such image, no registry, a crash), the run stops with that error, so a run
 * that was meant to use containers never passes on another server.
 */
export async function startTestServer(log: (line: string) => void, env: Env = process.env): Promise<TestServer> {
  const major = pgMajorFromEnv(env);
  const pinned = pinnedWay(env);
  const fromEnv = env.TEST_DATABASE_URL;
  if (fromEnv) {
    return { kind: 'TEST_DATABASE_URL', adminUrl: fromEnv, stop: async () => {} };
  }
  if (pinned !== 'embedded') {
    const container = await startContainer(major, log, env, pinned === 'testcontainers');
    if (container) return container;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-db-tests-'));
  fs.chmodSync(dataDir, 0o755);
  const server = await startEmbedded({
    dataDir: path.join(dataDir, 'pg'),
    persistent: false,
    fast: true,
    version: major,
  });
  return {
    kind: 'embedded',
    adminUrl: server.url('postgres'),
    stop: async () => {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A PostgreSQL container, or undefined when no container runtime answers (and none was required). */
async function startContainer(
  major: PgMajor,
  log: (line: string) => void,
  env: Env,
  required: boolean,
): Promise<TestServer | undefined> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (err) {
    if (required) {
      throw new TestServerError(
        `GYM_TEST_SERVER=testcontainers, but no container runtime answers (${firstLine(err)}): start Docker or podman's API service and set DOCKER_HOST, or unset GYM_TEST_SERVER`,
      );
    }
    log(`no container runtime (${firstLine(err)}); using embedded PostgreSQL`);
    return undefined;
  }
  const image = containerImage(major, env);
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  try {
    const container = await new PostgreSqlContainer(image)
      .withDatabase('postgres')
      // A container's /dev/shm is 64 MB, which a parallel VACUUM or a parallel query of the 1M-row suites
      // outgrows ("could not resize shared memory segment"); the official image's docs advise --shm-size.
      .withSharedMemorySize(512 * 1024 * 1024)
      // What the embedded server runs with (apps/migrator's startPostgres): the suites open many connections,
      // and a throwaway server needs no durability.
      .withCommand([
        'postgres',
        '-c',
        'max_connections=200',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ])
      .start();
    // testcontainers names a local runtime's host "localhost"; the suites, like the embedded server, use
    // 127.0.0.1, which is also where the runtime publishes the port (its IPv4 side, whatever ::1 does).
    const adminUrl = new URL(container.getConnectionUri());
    if (adminUrl.hostname === 'localhost') adminUrl.hostname = '127.0.0.1';
    return {
      kind: 'testcontainers',
      adminUrl: adminUrl.toString(),
      detail: `${image}, container ${container.getId().slice(0, 12)}`,
      stop: async () => void (await container.stop()),
    };
  } catch (err) {
    throw new TestServerError(
      `a container runtime answers, but the image ${image} could not start (${firstLine(err)}): set GYM_PG_IMAGE to a PostgreSQL ${major} image it can run, or GYM_TEST_SERVER=embedded to use the embedded server`,
    );
  }
}
