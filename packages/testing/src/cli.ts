import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/**
 * How the suites start the CLI. `compiled` (the default) is apps/migrator/dist/cli.js under plain node: the
 * same code, compiled by tsc (global-setup builds it when it is missing or older than its source), because
 * tsx's loader costs each start about 0.18 s of CPU and the suites start the CLI well over a hundred
 * times. `source` is exactly what `pnpm db:migrate` runs: tsx on apps/migrator/src/cli.ts.
 */
export type CliBuild = 'compiled' | 'source';
const commands: Record<CliBuild, string[]> = {
  compiled: [path.join(repoRoot, 'apps/migrator/dist/cli.js')],
  source: ['--conditions=@gym/source', '--import', 'tsx', path.join(repoRoot, 'apps/migrator/src/cli.ts')],
};

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the real CLI as a child process. */
export function spawnCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  build: CliBuild = 'compiled',
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [...commands[build], ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  build: CliBuild = 'compiled',
): Promise<CliResult> {
  return spawnCli(args, env, build).done;
}
