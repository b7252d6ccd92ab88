import { randomBytes } from 'node:crypto';
import { readApplied } from '@gym/migrate';
import { adminQuery, closedPort, withCredentials, withHostPort } from '@gym/testing/admin';
import { type CliResult, runCli } from '@gym/testing/cli';
import { createTestDatabase, type TestDatabase } from '@gym/testing/db';
import { parseJsonLines } from '@gym/testing/output';
import { allTags } from '@gym/testing/release';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 2 and 3: a password from the URL never appears in anything the migrator prints, in any mode.
const PASSWORD = 'S3cr3t-P4ss-xyz';
// One with characters that must be percent-encoded in a URL: neither form may be printed.
const SPECIAL = 'S3cr3t/P4ss@xyz!';
const role = `gym_secret_user_${randomBytes(3).toString('hex')}`;
let db: TestDatabase;
let url: string;

beforeAll(async () => {
  await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
  db = await createTestDatabase('empty');
  await adminQuery(`ALTER DATABASE ${db.name} OWNER TO ${role}`);
  url = withCredentials(db.url, role, PASSWORD);
  expect(url).toContain(`:${PASSWORD}@`);
});
afterAll(async () => {
  await db?.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

function expectNoSecret(what: string, result: CliResult) {
  const printed = result.stdout + result.stderr;
  for (const secret of [PASSWORD, SPECIAL, encodeURIComponent(SPECIAL), 'S3cr3t']) {
    expect(printed.includes(secret), `${what} printed "${secret}":\n${printed}`).toBe(false);
  }
}

describe('the password never appears in the output', () => {
  it('in every mode of a run that works: human, --json, --dry-run, status, rollback, with --url or DATABASE_URL', async () => {
    const runs: [string, string[], Record<string, string>][] = [
      ['migrate --dry-run', ['migrate', '--dry-run', '--url', url], {}],
      ['migrate --dry-run --json', ['migrate', '--dry-run', '--json'], { DATABASE_URL: url }],
      ['migrate --to 0001_machines', ['migrate', '--to', '0001_machines'], { DATABASE_URL: url }],
      ['status', ['status', '--url', url], {}],
      ['migrate --pre-deploy', ['migrate', '--pre-deploy', '--url', url], {}],
      ['migrate --json', ['migrate', '--json', '--url', url], {}],
      ['status --json', ['status', '--json'], { DATABASE_URL: url }],
      ['migrate again', ['migrate', '--url', url], {}],
      ['rollback --dry-run', ['rollback', '--dry-run', '--url', url], {}],
      ['rollback --json', ['rollback', '--json', '--url', url], {}],
      ['rollback', ['rollback', '--url', url], {}],
      ['migrate', ['migrate'], { DATABASE_URL: url }],
    ];
    for (const [what, args, env] of runs) {
      const result = await runCli(args, env);
      expect(result.code, `${what}: ${result.stdout}${result.stderr}`).toBe(0);
      expect(result.stdout.length).toBeGreaterThan(0);
      if (args.includes('--json')) parseJsonLines(result.stdout);
      expectNoSecret(what, result);
    }
    // The runs did connect as the role whose password is in the URL.
    const { rows } = await db.query<{ owner: string }>(
      `SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'training_sessions'`,
    );
    expect(rows[0]).toEqual({ owner: role });
    expect(await readApplied(db)).toHaveLength(allTags.length);
  });

  it('in error messages: malformed URLs that hold it, an unreachable host, wrong credentials', async () => {
    const port = await closedPort();
    const host = new URL(db.url).host;
    const bad: [string, string, number][] = [
      ['bad port', `postgres://${role}:${PASSWORD}@${host}:notaport/${db.name}`, 2],
      ['two ports', `postgres://${role}:${PASSWORD}@${host}:5432/${db.name}`, 2],
      ['missing colon after the scheme', `postgres//${role}:${PASSWORD}@${host}/${db.name}`, 2],
      ['missing slash after the scheme', `postgres:/${role}:${PASSWORD}@${host}/${db.name}`, 2],
      ['no scheme', `${role}:${PASSWORD}@${host}/${db.name}`, 2],
      ['libpq keyword string', `host=127.0.0.1 user=${role} password=${PASSWORD} dbname=${db.name}`, 2],
      ['password in the query of a malformed URL', `postgres://127.0.0.1:1:2/${db.name}?password=${PASSWORD}`, 2],
      ['unencoded special characters', `postgres://${role}:${SPECIAL}@${host}/${db.name}`, 2],
      ['unreachable host', withHostPort(url, '127.0.0.1', port), 5],
      ['unreachable host, special password', withCredentials(withHostPort(url, '127.0.0.1', port), role, SPECIAL), 5],
      ['user that does not exist', withCredentials(db.url, 'gym_no_such_user', PASSWORD), 5],
      ['user that does not exist, special password', withCredentials(db.url, 'gym_no_such_user', SPECIAL), 5],
      ['no such database', withCredentials(db.url.replace(`/${db.name}`, '/gym_no_such_db'), role, PASSWORD), 5],
    ];
    for (const [what, badUrl, code] of bad) {
      // Human mode with --url, and --json with DATABASE_URL: both ways in, both ways out.
      for (const json of [false, true]) {
        const args = ['migrate', '--connect-retry-for', '1s', ...(json ? ['--json'] : ['--url', badUrl])];
        const result = await runCli(args, json ? { DATABASE_URL: badUrl } : {});
        const label = `${what} (${json ? 'DATABASE_URL, --json' : '--url'})`;
        expect(result.code, `${label}: ${result.stdout}${result.stderr}`).toBe(code);
        expectNoSecret(label, result);
        if (json) expect(parseJsonLines(result.stdout).some((e) => e.event === 'error')).toBe(true);
        else expect(result.stderr).toMatch(/^gym-migrate: error: /);
      }
    }
    // The wrong password of a real user is refused under password authentication (the embedded server);
    // a trust-authenticated server lets it in. Either way, the password is not printed.
    const wrong = await runCli(['status', '--url', withCredentials(db.url, role, `${PASSWORD}-wrong`)]);
    expect([0, 5]).toContain(wrong.code);
    expectNoSecret('wrong password of an existing user', wrong);
  });
});
