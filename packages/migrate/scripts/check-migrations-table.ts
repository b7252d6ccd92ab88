// The migrations table has one owner, packages/migrate/src/state.ts: no other file of the repository (the
// engine's other modules, the CLI, the test harness and suites, the bench, scripts, migrations) names it.
// Code that needs its rows, tests that look at it from outside included, calls state.ts's readApplied or
// migrationsTableExists. Run by `pnpm lint`; test/state-owner.test.ts proves it finds what it should.
// Usage: tsx scripts/check-migrations-table.ts   (exits 1 and lists every offending line)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const owner = 'packages/migrate/src/state.ts';

/**
 * The table's name as SQL spells it, quoted or not, schema-qualified or not. Spelled in two parts so that
 * this file, and the test that plants it, do not name it themselves.
 */
export const tableName = ['__drizzle', 'migrations'].join('_');

/**
 * Lines outside state.ts that may name the table, each for a reason: a line of `file` that starts (once
 * trimmed) with `start`. Never SQL, only text a person reads.
 */
export const allowed: { file: string; start: string; why: string }[] = [
  {
    file: 'packages/db-tests/src/migrator/guards.test.ts',
    start: `\`drizzle.${tableName} records a migration that the journal does not have (created_at `,
    why: 'the exact one-line error an operator reads when a row matches no migration (exit 8)',
  },
];

// Source, scripts, SQL and data; prose (*.md) describes the table and is not code that reaches it.
const scanned = /\.(ts|tsx|mts|cts|js|mjs|cjs|sql|sh|json|toml|yaml|yml)$|^\.ci\/[^/.]+$/;

export interface Finding {
  file: string;
  line: number;
  text: string;
}

/** Every line of `files` (paths from the repository root, with their text) that names the table. */
export function findTableNames(files: { file: string; text: string }[]): Finding[] {
  const found: Finding[] = [];
  for (const { file, text } of files) {
    if (file === owner || !scanned.test(file) || file === 'pnpm-lock.yaml') continue;
    text.split('\n').forEach((line, i) => {
      if (!line.includes(tableName)) return;
      if (allowed.some((a) => a.file === file && line.trim().startsWith(a.start))) return;
      found.push({ file, line: i + 1, text: line.trim() });
    });
  }
  return found;
}

/**
 * The repository's files as git sees them (tracked, and new ones not ignored); without git (an unpacked
 * archive), every file but dependencies and build output.
 */
export function repoFiles(root = repoRoot): { file: string; text: string }[] {
  let list: string[];
  try {
    list = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
    })
      .split('\0')
      .filter(Boolean);
  } catch {
    list = walk(root, '');
  }
  return list
    .filter((file) => scanned.test(file) && fs.existsSync(path.join(root, file)))
    .map((file) => ({ file, text: fs.readFileSync(path.join(root, file), 'utf8') }));
}

const skipped = new Set(['node_modules', 'dist', '.git', '.turbo', '.data', 'coverage']);

function walk(root: string, dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) return skipped.has(e.name) ? [] : walk(root, rel);
    return e.isFile() ? [rel] : [];
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const found = findTableNames(repoFiles());
  for (const f of found) {
    console.error(
      `${f.file}:${f.line}: names the migrations table, which only ${owner} may do; use its readApplied() or migrationsTableExists()`,
    );
  }
  if (found.length === 0) console.log(`migrations table: named by ${owner} only`);
  process.exit(found.length ? 1 : 0);
}
