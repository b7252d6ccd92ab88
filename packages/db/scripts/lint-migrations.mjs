#!/usr/bin/env node
// Lints every forward migration with squawk. Transactional files are linted as such (the migrator runs
// each in its own transaction); a no-transaction file is linted as it runs, statement by statement.
// Every squawk-ignore must follow a comment line that says why the rule is broken on purpose.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dir = path.join(root, 'migrations');
const squawk = path.join(root, 'node_modules', '.bin', 'squawk');
let failed = 0;
for (const name of fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.sql'))
  .sort()) {
  const file = path.join(dir, name);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (/squawk-ignore/.test(line) && !/^\s*--(?!>)\s*\S/.test(lines[i - 1] ?? '')) {
      console.error(`${name}:${i + 1}: a squawk-ignore needs a comment line above it that says why`);
      failed++;
    }
  });
  const transactional = !/^\s*--\s*migrator:\s*no-transaction/.test(lines[0] ?? '');
  const args = ['--pg-version', '15', '--reporter', 'gcc', ...(transactional ? ['--assume-in-transaction'] : []), file];
  const r = spawnSync(squawk, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const out = `${r.stdout}${r.stderr}`.trim();
  if (r.status !== 0) {
    console.error(out || `squawk exited ${r.status} on ${name}`);
    failed++;
  } else {
    console.log(`squawk: ${name} ok${transactional ? '' : ' (no-transaction)'}`);
  }
}
process.exit(failed ? 1 : 0);
