import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../../fixtures/harness', import.meta.url));
const vitestBin = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

/**
 * Runs fixtures/harness (one passing test behind the real global setup) as a fresh vitest run: none of
 * this run's vitest worker variables, CI unset unless given, then `env` on top (undefined unsets).
 */
export function runHarnessFixture(env: Record<string, string | undefined>) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'CI'));
  const merged = { ...base, ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const r = spawnSync(process.execPath, [vitestBin, 'run', '--config', `${fixtures}/vitest.config.ts`], {
    cwd: fixtures,
    encoding: 'utf8',
    env: merged,
    timeout: 240_000,
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: vitest colours its output
  const output = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  return { status: r.status, output };
}
