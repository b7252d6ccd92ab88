import net from 'node:net';
import { ExitCode } from '@gym/migrate';
import { closedPort, withCredentials, withHostPort } from '@gym/testing/admin';
import { runCli } from '@gym/testing/cli';
import type { TestDatabase } from '@gym/testing/db';
import { migrateTo } from '@gym/testing/migrate';
import { copyMigrations } from '@gym/testing/migrations-copy';
import { insertOldSchemaData, realisticOldSessions } from '@gym/testing/old-data';
import { eventsOf, expectOneLineError, parseJsonLines } from '@gym/testing/output';
import { allTags } from '@gym/testing/release';
import { perTestResources } from '@gym/testing/resources';
import { catalogSnapshot, dataSnapshot } from '@gym/testing/snapshot';
import { waitFor } from '@gym/testing/wait';
import { beforeAll, describe, expect, it } from 'vitest';

// Issue 3: every bad input gets a clear one-line error, its documented exit code, and a database left
// exactly as it was (catalog and every row compared before and after).
const { database, onCleanup } = perTestResources();

/** A database at 0001_machines holding old sessions, with 0002 and 0003 pending. */
async function oldSchemaDatabase() {
  const db = await database('empty');
  await migrateTo(db.url, '0001_machines');
  await insertOldSchemaData(db, { trainers: 4, members: 30, sessions: realisticOldSessions(120) });
  return db;
}

/** Runs `body` and proves that the database is exactly as it was before. */
async function expectUnchanged(db: TestDatabase, body: () => Promise<void>) {
  const catalog = await catalogSnapshot(db);
  const data = await dataSnapshot(db);
  await body();
  expect(await catalogSnapshot(db)).toEqual(catalog);
  expect(await dataSnapshot(db)).toEqual(data);
}

describe('connection and configuration errors', () => {
  it('a malformed URL: exit 2 and a one-line error that says so', async () => {
    for (const url of [
      'postgres://gym:pw@127.0.0.1:notaport/gym',
      'postgres//gym:pw@127.0.0.1/gym',
      'mysql://gym:pw@127.0.0.1/gym',
      '',
    ]) {
      const r = await runCli(['migrate', '--connect-retry-for', '0'], { DATABASE_URL: url });
      const line = expectOneLineError(r, ExitCode.usage);
      expect(line).toMatch(url === '' ? /no database URL/ : /database URL (is malformed|has scheme "mysql")/);
      expect(line).toMatch(/postgres:\/\/user:password@host:5432\/db/);
    }
    const json = await runCli(['migrate', '--json', '--url', 'postgres://gym:pw@127.0.0.1:notaport/gym']);
    expect(json.code).toBe(ExitCode.usage);
    expect(json.stderr).toBe('');
    expect(eventsOf(parseJsonLines(json.stdout), 'error')).toEqual([
      expect.objectContaining({ kind: 'usage', exitCode: 2 }),
    ]);
  });

  it('an unreachable host: retried for --connect-retry-for, then exit 5', async () => {
    const db = await oldSchemaDatabase();
    const port = await closedPort();
    const url = withHostPort(db.url, '127.0.0.1', port);
    const r = await runCli(['migrate', '--connect-retry-for', '1s', '--url', url]);
    const line = expectOneLineError(r, ExitCode.connection);
    expect(line).toContain(`cannot connect to 127.0.0.1:${port}/${db.name}: connection refused`);
    expect(line).toMatch(/PostgreSQL is running/);
    // It did wait for the server before giving up (one retry line per attempt, on stdout).
    expect(r.stdout).toMatch(/waiting for the server \(attempt 1/);
  });

  it('wrong credentials (a user that does not exist, a wrong password): exit 5 at once, database unchanged', async () => {
    const db = await oldSchemaDatabase();
    await expectUnchanged(db, async () => {
      // Under trust authentication the user is refused for not existing, under password authentication for
      // its password: either way this is not worth retrying, so --connect-retry-for does not delay it.
      const r = await runCli([
        'migrate',
        '--connect-retry-for',
        '60s',
        '--url',
        withCredentials(db.url, 'gym_no_such_user', 'wrong-password'),
      ]);
      const line = expectOneLineError(r, ExitCode.connection);
      expect(line).toContain('authentication failed for user "gym_no_such_user"');
      expect(line).toMatch(/Check the user name and password/);
      expect(r.stdout).not.toMatch(/waiting for the server/);
    });
  });

  it('a server that accepts the connection and never answers: exit 5 after --connect-timeout, and the socket is closed', async () => {
    const sockets = new Set<net.Socket>();
    let accepted = 0;
    const server = net.createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
      socket.resume(); // read and ignore the startup message, so that the client's FIN is seen; never answer
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const r = await runCli([
        'migrate',
        '--connect-timeout',
        '500ms',
        '--connect-retry-for',
        '0',
        '--url',
        `postgres://gym:pw@127.0.0.1:${port}/gym`,
      ]);
      const line = expectOneLineError(r, ExitCode.connection);
      expect(line).toContain(`127.0.0.1:${port}/gym accepted the connection but did not answer within 500 ms`);
      expect(accepted).toBe(1);
      // The migrator's end is closed: the server sees every socket close once it has exited.
      await waitFor('the migrator to close its socket', () => sockets.size === 0, { timeoutMs: 10_000 });
      expect(sockets.size).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('refusals that leave the database unchanged', () => {
  it('an applied migration that was edited: exit 4 naming the file, and status marks it edited', async () => {
    const db = await oldSchemaDatabase();
    const copy = copyMigrations();
    onCleanup(() => copy.remove());
    copy.edit('0001_machines', '\n-- a fix someone made after the deploy\n');
    await expectUnchanged(db, async () => {
      for (const command of ['migrate', 'rollback']) {
        const r = await runCli([command, '--migrations', copy.dir, '--url', db.url]);
        const line = expectOneLineError(r, ExitCode.editedMigration);
        expect(line).toContain('0001_machines.sql changed after it was applied');
        expect(line).toMatch(/Restore the file .* new migration/);
        expect(line).toMatch(/nothing was changed/);
      }
      const json = await runCli(['migrate', '--json', '--migrations', copy.dir, '--url', db.url]);
      expect(json.code).toBe(ExitCode.editedMigration);
      const events = parseJsonLines(json.stdout);
      expect(eventsOf(events, 'error')).toEqual([expect.objectContaining({ kind: 'edited_migration', exitCode: 4 })]);
      expect(eventsOf(events, 'migration_start')).toEqual([]);
    });

    const status = await runCli(['status', '--migrations', copy.dir, '--url', db.url]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^0000_baseline\s+applied\s/m);
    expect(status.stdout).toMatch(/^0001_machines\s+edited\s/m);
    expect(status.stdout).toMatch(/^0002_training_sessions_machines\s+pending\s/m);
    expect(status.stdout).toMatch(/1 edited since applied \(migrate will refuse\)/);
    const statusJson = await runCli(['status', '--json', '--migrations', copy.dir, '--url', db.url]);
    expect(eventsOf(parseJsonLines(statusJson.stdout), 'status').map((e) => [e.tag, e.state])).toEqual(
      allTags.map((tag, i) => [tag, i === 0 ? 'applied' : i === 1 ? 'edited' : 'pending']),
    );
  });

  it('Machine 1 is missing: exit 1 with a message about Machine 1, nothing migrated', async () => {
    const db = await oldSchemaDatabase();
    // At 0001 nothing references machines yet, so Machine 1 can be deleted, as a hand-edited database might.
    await db.query('DELETE FROM machines WHERE machine_number = 1');
    await expectUnchanged(db, async () => {
      const r = await runCli(['migrate', '--url', db.url]);
      const line = expectOneLineError(r, ExitCode.migrationFailed);
      expect(line).toContain('migration 0002_training_sessions_machines failed');
      expect(line).toContain('Machine 1 is missing');
      expect(line).toMatch(/Insert it .* and run the migration again/);
      expect(line).toContain('SQLSTATE GYM01');
      const json = await runCli(['migrate', '--json', '--url', db.url]);
      expect(json.code).toBe(ExitCode.migrationFailed);
      expect(eventsOf(parseJsonLines(json.stdout), 'error')).toEqual([
        expect.objectContaining({
          kind: 'migration_failed',
          exitCode: 1,
          message: expect.stringContaining('Machine 1'),
        }),
      ]);
    });
  });

  it('a rollback refused because a session has no trainer: exit 1, and not even 0004 and 0003 are rolled back', async () => {
    const db = await database('template');
    await db.query(
      `INSERT INTO training_sessions (machine_id, trainer_id, scheduled_start, scheduled_end)
       SELECT id, NULL, now(), now() + interval '1 hour' FROM machines WHERE machine_number = 2`,
    );
    await expectUnchanged(db, async () => {
      const r = await runCli(['rollback', '--to', '0001_machines', '--url', db.url]);
      const line = expectOneLineError(r, ExitCode.migrationFailed);
      expect(line).toContain('rollback 0002_training_sessions_machines failed');
      expect(line).toContain('1 training session(s) have no trainer');
      expect(line).toMatch(/Assign a trainer to them/);
      expect(line).toContain('0004_training_sessions_contract, 0003_session_functions are not rolled back either');
    });
    const status = await runCli(['status', '--url', db.url]);
    expect(status.stdout).toMatch(/^0003_session_functions\s+applied\s/m);
    expect(status.stdout).toMatch(/^0004_training_sessions_contract\s+applied\s/m);
  });

  it('an unknown --to tag: exit 2 listing the known tags, for migrate and rollback', async () => {
    const db = await oldSchemaDatabase();
    await expectUnchanged(db, async () => {
      for (const command of ['migrate', 'rollback']) {
        const r = await runCli([command, '--to', '0009_no_such_migration', '--url', db.url]);
        const line = expectOneLineError(r, ExitCode.usage);
        expect(line).toContain('unknown migration "0009_no_such_migration" for --to');
        expect(line).toContain(
          '0000_baseline, 0001_machines, 0002_training_sessions_machines, 0003_session_functions, 0004_training_sessions_contract',
        );
      }
    });
  });
});

describe('the exit codes are the documented ones', () => {
  let help: string;
  beforeAll(async () => {
    help = (await runCli(['--help'])).stdout;
  });
  it('--help lists each of them', () => {
    expect(help).toContain('exit codes: 0 ok, 1 migration failed, 2 usage or config error, 3 lock wait timed out');
    expect(help).toContain('4 edited migration, 5 cannot connect, 6 transaction-mode pooler, 7 security check failed');
    expect(help).toContain('8 applied migration not in the journal, 9 read-only standby, 130 interrupted');
    expect(ExitCode).toEqual({
      ok: 0,
      migrationFailed: 1,
      usage: 2,
      lockTimeout: 3,
      editedMigration: 4,
      connection: 5,
      transactionPooler: 6,
      securityCheck: 7,
      unknownMigration: 8,
      standby: 9,
      interrupted: 130,
    });
  });
});
