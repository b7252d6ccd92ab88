import fs from 'node:fs';
import { ExitCode } from '@gym/migrate';
import { type CliResult, runCli } from '@gym/testing/cli';
import { perTestResources } from '@gym/testing/resources';
import { describe, expect, it } from 'vitest';

// What deploy jobs and log pipelines rely on, recorded once in cli-contract.golden.json and compared on every
// run: --help, the exit codes, and what the CLI prints (human lines and --json events) for the runs a deploy
// job makes, good and bad. Only what varies from run to run is masked (timestamps, durations, the server's
// address, version and database name). A change to any of it is a change of contract: regenerate the file
// with GYM_UPDATE_GOLDEN=1 and say why in the commit.
const { database } = perTestResources();
const goldenFile = new URL('./cli-contract.golden.json', import.meta.url);
const update = process.env.GYM_UPDATE_GOLDEN === '1';

function mask(text: string, url: string): string {
  const u = new URL(url);
  return text
    .replaceAll(u.host, '<host>')
    .replaceAll(u.pathname.slice(1), '<database>')
    .replace(/"ts":"[^"]+"/g, '"ts":"<ts>"')
    .replace(/"(durationMs|waitedMs)":\d+/g, '"$1":0')
    .replace(/"serverVersion":"[^"]+"/g, '"serverVersion":"<version>"')
    .replace(/\(PostgreSQL [^()]*(\([^()]*\))?[^()]*\)/g, '(PostgreSQL <version>)')
    .replace(/\(\d+(\.\d+)? m?s\)/g, '(<duration>)')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, '<time>');
}

function record(r: CliResult, url: string) {
  return { code: r.code, stdout: mask(r.stdout, url), stderr: mask(r.stderr, url) };
}

describe('the CLI contract', () => {
  it('--help, the exit codes and the output of a deploy job are what cli-contract.golden.json records', async () => {
    const db = await database('empty');
    const run = async (...args: string[]) => record(await runCli([...args, '--url', db.url]), db.url);
    const actual = {
      help: (await runCli(['--help'])).stdout,
      exitCodes: ExitCode,
      runs: {
        'migrate --pre-deploy --dry-run --json': await run('migrate', '--pre-deploy', '--dry-run', '--json'),
        'migrate --pre-deploy': await run('migrate', '--pre-deploy'),
        'migrate --json': await run('migrate', '--json'),
        'migrate (nothing to do)': await run('migrate'),
        'status --json': await run('status', '--json'),
        status: await run('status'),
        'rollback --json': await run('rollback', '--json'),
        'rollback --to 0009 --dry-run': await run('rollback', '--to', '0009', '--dry-run'),
        'migrate --to no_such_tag --json': await run('migrate', '--to', 'no_such_tag', '--json'),
        'migrate --to no_such_tag': await run('migrate', '--to', 'no_such_tag'),
        'status --pre-deploy': await run('status', '--pre-deploy'),
        'frobnicate --json': await run('frobnicate', '--json'),
      },
    };
    if (update) fs.writeFileSync(goldenFile, `${JSON.stringify(actual, null, 2)}\n`);
    const golden = JSON.parse(fs.readFileSync(goldenFile, 'utf8'));
    expect(actual).toEqual(golden);
  });
});
