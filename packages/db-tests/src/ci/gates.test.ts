import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const fixtures = fileURLToPath(new URL('../../fixtures/red', import.meta.url));
const vitestBin = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

/** The environment of a fresh run: none of this run's vitest worker variables. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'CI'));
  return { ...env, ...extra };
}

function runFixtureSuite(file: string, extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, [vitestBin, 'run', '--config', path.join(fixtures, 'vitest.config.ts')], {
    cwd: fixtures,
    encoding: 'utf8',
    env: cleanEnv({ GYM_FIXTURE: file, ...extraEnv }),
    timeout: 240_000,
  });
}

describe('a red suite fails the run', () => {
  it('one failing test among passing ones, behind the real harness (embedded server included): non-zero exit', () => {
    const r = runFixtureSuite('red.fixture.ts');
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/1 failed/);
    expect(out).toMatch(/1 passed/);
    expect(r.status, out).toBe(1);
  });

  it('a test file that fails to load: non-zero exit', () => {
    // On this run's server (TEST_DATABASE_URL): the embedded one is the case above.
    const r = runFixtureSuite('broken.fixture.ts', { TEST_DATABASE_URL: inject('adminUrl') });
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/no-such-module/);
    expect(r.status, out).not.toBe(0);
    expect(r.status, out).not.toBeNull();
  });
});

it('a script that starts and stops the embedded server keeps its own exit code and signal listeners', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-gates-'));
  fs.chmodSync(home, 0o755);
  try {
    const r = spawnSync(
      process.execPath,
      ['--conditions=@gym/source', '--import', 'tsx', path.join(fixtures, 'exit-code.ts'), path.join(home, 'pg')],
      {
        encoding: 'utf8',
        env: cleanEnv({}),
        timeout: 120_000,
      },
    );
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const { before, after } = JSON.parse(r.stdout) as Record<string, Record<string, number>>;
    expect(after).toEqual(before);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
