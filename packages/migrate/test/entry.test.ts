import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/import-entries.ts', import.meta.url));

it("importing @gym/migrate leaves the host's exit code and listeners alone", () => {
  const r = spawnSync(process.execPath, ['--conditions=@gym/source', '--import', 'tsx', fixture], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(7);
  const { before, after } = JSON.parse(r.stdout) as Record<string, Record<string, number>>;
  expect(after).toEqual(before);
});
