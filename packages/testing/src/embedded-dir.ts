import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/**
 * A data folder for an embedded server of the test's own, under a temp folder that every user may enter (run
 * as root, the server is the postgres user). Removed after the file, with any cluster symlinked from it.
 */
export function tempEmbeddedDirs() {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
  });
  return (name = 'pg'): string => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-embedded-test-'));
    fs.chmodSync(root, 0o755);
    roots.push(root);
    return path.join(root, name);
  };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid on the first line of the data folder's postmaster.pid, if it has one. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

/** Every process whose command line names `dataDir`: the server (-D) and its watchdog. Linux only (/proc). */
export function processesUsing(dataDir: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(dataDir)) found.push({ pid: Number(entry), cmdline });
    } catch {
      // It exited while we looked.
    }
  }
  return found;
}
