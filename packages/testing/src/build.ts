import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './cli';

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const mtime = (file: string) => fs.statSync(file).mtimeMs;

/**
 * The suites start the CLI compiled (cli.ts), and it loads the compiled dist/ of the workspace
 * packages it imports. `pnpm test` builds them all first (turbo's ^build); a suite started some other way
 * (vitest on one file, after an edit) gets them built here, whenever a dist/ is missing or older than its
 * source. In dependency order: each is compiled against the dist/ of those before it.
 */
const cliPackages = ['packages/db', 'packages/migrate', 'packages/local-pg', 'packages/bookings', 'apps/migrator'];

export function ensureCompiledCli(log: (line: string) => void): void {
  for (const pkg of cliPackages) {
    const dir = path.join(repoRoot, pkg);
    const sources = [
      ...files(path.join(dir, 'src')),
      path.join(dir, 'tsconfig.build.json'),
      path.join(dir, 'package.json'),
    ];
    // What tsc emits for each source module: a file left in dist/ by a module since moved or removed (tsc
    // never deletes one) must not make dist/ look stale forever.
    const built = files(path.join(dir, 'src'))
      .filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))
      .map((f) => path.join(dir, 'dist', path.relative(path.join(dir, 'src'), f).replace(/\.ts$/, '.js')));
    if (built.every((f) => fs.existsSync(f)) && Math.min(...built.map(mtime)) >= Math.max(...sources.map(mtime)))
      continue;
    log(`building ${pkg}/dist (missing or older than its source)`);
    const r = spawnSync(path.join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`tsc -p ${pkg}/tsconfig.build.json failed:\n${r.stdout}${r.stderr}`);
  }
}
