import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, pgMajorFromEnv } from '@gym/local-pg';
import { type EmbeddedServer, startEmbedded } from '@gym/local-pg/embedded';
import { runCli } from '@gym/testing/cli';
import { tempEmbeddedDirs } from '@gym/testing/embedded-dir';
import { expectOneLineError } from '@gym/testing/output';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 12, item 3: when the embedded server cannot start, `pnpm db:migrate --embedded` says why in one line
// (what is wrong, what to do), exits 2, and prints no stack trace and no unhandled 'error' event.
const major = pgMajorFromEnv();
const otherMajor = major === '15' ? '17' : '15';
const newDir = tempEmbeddedDirs();

describe('the embedded server cannot start', () => {
  it('a server binary that cannot be run: names the binary and the reason', async () => {
    const native = newDir('native');
    fs.mkdirSync(path.join(native, 'bin'), { recursive: true });
    // An install whose binaries lost their execute bit (as a copy or unpack without modes leaves them).
    for (const name of ['postgres', 'initdb'])
      fs.writeFileSync(path.join(native, 'bin', name), '\x7fELF', { mode: 0o644 });
    const result = await runCli(['migrate', '--embedded'], {
      GYM_EMBEDDED_DIR: newDir(),
      GYM_EMBEDDED_NATIVE_DIR: native,
    });
    const line = expectOneLineError(result, 2);
    expect(line).toContain(path.join(native, 'bin', 'postgres'));
    expect(line).toMatch(/cannot be run \(permission denied for user \S+\)/);
  });

  it('a port already in use: names the port and how to pick another', async () => {
    const port = await freePort();
    const squatter = net.createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => squatter.once('listening', resolve));
    try {
      const result = await runCli(['migrate', '--embedded'], {
        GYM_EMBEDDED_DIR: newDir(),
        GYM_EMBEDDED_PORT: String(port),
      });
      const line = expectOneLineError(result, 2);
      expect(line).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(line).toContain('GYM_EMBEDDED_PORT=');
    } finally {
      squatter.close();
    }
  });
});

describe('a data folder that is not free to use', () => {
  const dataDir = newDir();
  let server: EmbeddedServer | undefined;
  beforeAll(async () => {
    server = await startEmbedded({ dataDir, fast: true, version: major });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('one that another running server holds: refused, and that server is left alone', async () => {
    const result = await runCli(['migrate', '--embedded'], { GYM_EMBEDDED_DIR: dataDir });
    const line = expectOneLineError(result, 2);
    expect(line).toContain(`the data folder ${dataDir} is in use by another running PostgreSQL`);
    expect(line).toContain(`started by process ${process.pid}`);
    const client = new pg.Client({ connectionString: server!.url('postgres') });
    await client.connect();
    try {
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it(`one made by another PostgreSQL major (GYM_PG_VERSION=${otherMajor} on a ${major} folder): names the folder and the fix`, async () => {
    await server!.stop();
    server = undefined;
    const result = await runCli(['migrate', '--embedded'], {
      GYM_EMBEDDED_DIR: dataDir,
      GYM_PG_VERSION: otherMajor,
    });
    const line = expectOneLineError(result, 2);
    expect(line).toContain(
      `the data folder ${dataDir} was made by PostgreSQL ${major}, and this run asks for PostgreSQL ${otherMajor}`,
    );
    expect(line).toContain(`GYM_PG_VERSION=${major}`);
    expect(line).toContain(`mv ${dataDir} ${dataDir}-pg${major}`);
    // Nothing was changed: the folder is still a working cluster of its own major.
    expect(fs.readFileSync(path.join(fs.realpathSync(dataDir), 'PG_VERSION'), 'utf8').trim()).toBe(major);
    const again = await runCli(['migrate', '--embedded'], { GYM_EMBEDDED_DIR: dataDir, GYM_PG_VERSION: major });
    expect(again.code, again.stderr).toBe(0);
  });
});
