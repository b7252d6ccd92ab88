import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { migrationsFolder } from '@gym/db/migrations';
import { repoRoot } from '@gym/testing/cli';
import { createTestDatabase, type TestDatabase } from '@gym/testing/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 8: @gym/db as packages outside this workspace's conventions consume it. Two scratch packages are
// written next to a node_modules that links @gym/db, the way a package manager would: one on NodeNext
// resolution (typechecked by tsc, compiled, and run by plain node), one on bundler resolution (typechecked,
// and run by tsx). Both read the built dist/ through package.json "exports"; tsx also runs from source.
const run = promisify(execFile);
const dbPackage = path.join(repoRoot, 'packages/db');
const tsc = path.join(path.dirname(require_('typescript/package.json')), 'bin/tsc');

function require_(specifier: string): string {
  return new URL(import.meta.resolve(specifier)).pathname;
}

const main = `import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createDb, type Machine, migrationsFolder, trainingSessionInsertSchema } from '@gym/db';
import { migrationsFolder as viaSubpath } from '@gym/db/migrations';
import { trainingSessions } from '@gym/db/schema';

// A missing export would type as any under skipLibCheck; these fail to compile if it does.
type IsAny<T> = 0 extends 1 & T ? true : false;
const notAny: [IsAny<Machine>, IsAny<typeof createDb>, IsAny<typeof trainingSessions>] = [false, false, false];

const db = createDb(process.env.DATABASE_URL!);
const rows: Machine[] = await db.query.machines.findMany({ orderBy: (m, { asc }) => [asc(m.machineNumber)] });
const machineNumber: 1 | 2 | 3 = rows[0]!.machineNumber;
const session = trainingSessionInsertSchema.parse({
  machineId: rows[0]!.id,
  scheduledStart: '2026-12-01T09:00:00Z',
  scheduledEnd: new Date('2026-12-01T10:00:00Z'),
});
await db.$client.end();
console.log(JSON.stringify({
  resolved: import.meta.resolve('@gym/db'),
  machines: rows.map((m) => m.machineNumber),
  start: session.scheduledStart.toISOString(),
  migrationsFolder,
  journal: existsSync(join(migrationsFolder, 'meta', '_journal.json')),
  sameFolder: viaSubpath === migrationsFolder,
  checks: [notAny.length, machineNumber > 0],
}));
`;

const compilerOptions = { target: 'ES2022', strict: true, skipLibCheck: true, types: ['node'] };
const consumers = {
  nodenext: { module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'dist', rootDir: '.' },
  bundler: { module: 'ESNext', moduleResolution: 'Bundler', noEmit: true },
};

let scratch: string;
let db: TestDatabase;

function link(target: string, at: string) {
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(target, at, 'dir');
}

function newestMtime(dir: string): number {
  return Math.max(
    ...fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => fs.statSync(path.join(e.parentPath, e.name)).mtimeMs),
  );
}

beforeAll(async () => {
  const dist = path.join(dbPackage, 'dist/index.js');
  if (!fs.existsSync(dist) || fs.statSync(dist).mtimeMs < newestMtime(path.join(dbPackage, 'src'))) {
    throw new Error(
      'packages/db/dist is missing or older than src/: run `pnpm --filter @gym/db build` (pnpm test does)',
    );
  }
  db = await createTestDatabase();
  // Inside the workspace, so nothing resolves from a global folder by accident; ignored by git.
  scratch = fs.mkdtempSync(path.join(repoRoot, 'packages/db-tests/.consumers-'));
  link(dbPackage, path.join(scratch, 'node_modules/@gym/db'));
  link(path.dirname(require_('@types/node/package.json')), path.join(scratch, 'node_modules/@types/node'));
  for (const [name, options] of Object.entries(consumers)) {
    const dir = path.join(scratch, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, type: 'module' }));
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { ...compilerOptions, ...options }, include: ['main.ts'] }),
    );
    fs.writeFileSync(path.join(dir, 'main.ts'), main);
  }
});

afterAll(async () => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  await db?.drop();
});

/** Runs node (plus flags) on a file with a clean NODE_OPTIONS, and parses the JSON line it prints. */
async function runNode(flags: string[], file: string) {
  const { stdout } = await run(process.execPath, [...flags, file], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: db.url },
  });
  return JSON.parse(stdout.trim());
}

const expected = {
  machines: [1, 2, 3],
  start: '2026-12-01T09:00:00.000Z',
  migrationsFolder,
  journal: true,
  sameFolder: true,
  checks: [3, true],
};

describe('@gym/db from outside the workspace conventions', () => {
  it('typechecks in a NodeNext package and in a bundler-resolution package, against dist/', async () => {
    const results = await Promise.allSettled(
      Object.keys(consumers).map((name) => run(process.execPath, [tsc, '-p', path.join(scratch, name)])),
    );
    for (const r of results) {
      if (r.status === 'rejected') throw new Error(`tsc failed:\n${(r.reason as { stdout?: string }).stdout}`);
    }
    expect(fs.existsSync(path.join(scratch, 'nodenext/dist/main.js'))).toBe(true);
  });

  it('runs as compiled JavaScript under plain node, with the migrations folder found from dist/', async () => {
    const out = await runNode([], path.join(scratch, 'nodenext/dist/main.js'));
    expect(out).toMatchObject(expected);
    expect(out.resolved).toBe(`file://${dbPackage}/dist/index.js`);
    expect(migrationsFolder).toBe(path.join(dbPackage, 'migrations'));
  });

  it('runs under tsx: from dist/ by default, from src/ with the @gym/source condition', async () => {
    const file = path.join(scratch, 'bundler/main.ts');
    const [fromDist, fromSource] = await Promise.all([
      runNode(['--import', 'tsx'], file),
      runNode(['--conditions=@gym/source', '--import', 'tsx'], file),
    ]);
    expect(fromDist).toMatchObject({ ...expected, resolved: `file://${dbPackage}/dist/index.js` });
    expect(fromSource).toMatchObject({ ...expected, resolved: `file://${dbPackage}/src/index.ts` });
  });
});
