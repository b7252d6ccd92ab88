import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '@gym/testing/cli';
import { afterAll, describe, expect, it } from 'vitest';

// Issue 17, item 1: .ci/run's verdict on a `pnpm test` comes from .ci/summary.mjs, which must fail on a skip
// that .ci/expected-skips.tsv does not list, on a missing report, and on a file whose hooks failed (vitest
// then reports its tests as skipped, not failed). Fed with vitest-shaped reports written here.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-ci-summary-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const file = path.join(repoRoot, 'packages/x/src/pool.test.ts');
type Status = 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
let n = 0;
function report(tests: [string, Status][], fileStatus?: 'failed', major?: number): string {
  const out = path.join(dir, `report-${n++}${major ? `-pg${major}` : ''}.json`);
  const assertionResults = tests.map(([title, status]) => ({ ancestorTitles: ['behind a pooler'], title, status }));
  const count = (s: Status) => tests.filter(([, st]) => st === s).length;
  fs.writeFileSync(
    out,
    JSON.stringify({
      numTotalTests: tests.length,
      numPassedTests: count('passed'),
      numFailedTests: count('failed'),
      numPendingTests: count('skipped') + count('pending'),
      numTodoTests: count('todo'),
      testResults: [
        {
          name: file,
          status: fileStatus ?? (count('failed') ? 'failed' : 'passed'),
          message: '',
          assertionResults,
        },
      ],
    }),
  );
  return out;
}

const allowlist = path.join(dir, 'expected-skips.tsv');
fs.writeFileSync(
  allowlist,
  '# comment\npackages/x/src/pool.test.ts\tbehind a pooler > dumps\t17,18\tno pg_dump reads 17 or 18 here\n',
);

function summary(label: string, ...reports: string[]) {
  const r = spawnSync(process.execPath, [path.join(repoRoot, '.ci/summary.mjs'), label, ...reports], {
    encoding: 'utf8',
    env: { ...process.env, GYM_EXPECTED_SKIPS: allowlist },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('.ci/summary.mjs', () => {
  it('a clean run: exit 0 and the plain closing line', () => {
    const r = summary('pg15', report([['migrates', 'passed']]), report([['dumps', 'passed']]));
    expect(r).toEqual({ code: 0, stdout: 'pg15: 2 passed, 0 failed\n', stderr: '' });
  });

  it('a skip the allowlist names for this major passes, with its reason; on another major it fails', () => {
    const skip = report([
      ['migrates', 'passed'],
      ['dumps', 'skipped'],
    ]);
    const on17 = summary('pg17', skip);
    expect(on17.code).toBe(0);
    expect(on17.stdout).toBe('pg17: 1 passed, 0 failed, 1 skipped\n');
    expect(on17.stderr).toContain(
      'pg17: expected skip: packages/x/src/pool.test.ts > behind a pooler > dumps (no pg_dump reads 17 or 18 here)',
    );
    const on15 = summary('pg15', skip);
    expect(on15.code).toBe(1);
    expect(on15.stderr).toContain('pg15: UNEXPECTED skip: packages/x/src/pool.test.ts > behind a pooler > dumps');
  });

  it('any other skipped, pending or todo test fails the run', () => {
    for (const status of ['skipped', 'pending', 'todo'] as const) {
      const r = summary('pg17', report([['migrates', status]]));
      expect(r.code, status).toBe(1);
      expect(r.stderr).toContain('pg17: UNEXPECTED skip: packages/x/src/pool.test.ts > behind a pooler > migrates');
      expect(r.stdout).toBe('pg17: 0 passed, 0 failed, 1 skipped\n');
    }
  });

  it('a failed test, a file whose hook failed, a missing report and an empty one each fail the run', () => {
    expect(summary('pg15', report([['migrates', 'failed']]))).toMatchObject({
      code: 1,
      stdout: 'pg15: 0 passed, 1 failed\n',
    });
    // vitest reports the tests of a suite whose beforeAll threw as skipped, and the file as failed.
    const hook = summary('pg17', report([['dumps', 'skipped']], 'failed'));
    expect(hook).toMatchObject({ code: 1, stdout: 'pg17: 0 passed, 1 failed, 1 skipped\n' });
    const missing = summary('pg15', path.join(dir, 'missing.json'));
    expect(missing).toMatchObject({ code: 1, stdout: 'pg15: 0 passed, 1 failed\n' });
    expect(missing.stderr).toContain('no test report was written');
    expect(summary('pg15', report([]))).toMatchObject({ code: 1, stdout: 'pg15: 0 passed, 1 failed\n' });
  });

  it("a failed test is named with its assertion's first line, colours stripped", () => {
    const out = path.join(dir, 'report-failure-message.json');
    fs.writeFileSync(
      out,
      JSON.stringify({
        numTotalTests: 1,
        testResults: [
          {
            name: file,
            status: 'failed',
            assertionResults: [
              {
                ancestorTitles: ['behind a pooler'],
                title: 'migrates',
                status: 'failed',
                failureMessages: ['AssertionError: expected \u001b[31m6\u001b[39m to be 0\n    at pool.test.ts:12:3'],
              },
            ],
          },
        ],
      }),
    );
    const r = summary('pg18', out);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toContain(
      'pg18: failed: packages/x/src/pool.test.ts > behind a pooler > migrates (AssertionError: expected 6 to be 0)',
    );
  });

  it('a run over several majors (the container step) reads the major of each report from its name', () => {
    const skipped: [string, Status][] = [['dumps', 'skipped']];
    const r = summary(
      'testcontainers',
      report(skipped, undefined, 17),
      report([['migrates', 'passed']], undefined, 15),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('testcontainers: 1 passed, 0 failed, 1 skipped\n');
    const bad = summary('testcontainers', report(skipped, undefined, 15));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('UNEXPECTED skip: packages/x/src/pool.test.ts > behind a pooler > dumps');
    expect(summary('testcontainers', report(skipped)).code).toBe(2);
  });
});
