import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { directivesOf, isTransactional, migrationsFolder, splitStatements } from '@gym/db/migrations';
import { describe, expect, it } from 'vitest';
import { type LocalMigration, loadMigrations, reconcile, resolveTarget } from '../src/plan.js';
import type { AppliedRow } from '../src/state.js';

const m = (idx: number, tag: string, when: number, hash = `hash-${tag}`): LocalMigration => ({
  idx,
  tag,
  when,
  hash,
  statements: ['SELECT 1'],
  transactional: true,
  phase: 'pre-deploy',
});
const row = (id: number, hash: string, createdAt: number | null): AppliedRow => ({
  id,
  hash,
  createdAt,
  appliedAt: null,
});

const local = [m(0, '0000_a', 100), m(1, '0001_b', 200), m(2, '0002_c', 300)];

describe('reconcile', () => {
  it('matches rows by created_at (the journal when), whatever their order', () => {
    const { states, unknown } = reconcile(local, [row(1, 'hash-0001_b', 200), row(2, 'hash-0000_a', 100)]);
    expect(states.map((s) => s.state)).toEqual(['applied', 'applied', 'pending']);
    expect(unknown).toEqual([]);
  });

  it('marks a row whose hash differs from the file as edited', () => {
    const { states } = reconcile(local, [row(1, 'hash-0000_a', 100), row(2, 'changed', 200)]);
    expect(states.map((s) => s.state)).toEqual(['applied', 'edited', 'pending']);
  });

  it('falls back to the hash when created_at is missing (rows written by other tools)', () => {
    const { states } = reconcile(local, [row(1, 'hash-0002_c', null)]);
    expect(states.map((s) => s.state)).toEqual(['pending', 'pending', 'applied']);
  });

  it('keeps a migration merged late (older when than the newest applied) pending, not skipped', () => {
    const { states } = reconcile(local, [row(1, 'hash-0000_a', 100), row(2, 'hash-0002_c', 300)]);
    expect(states.map((s) => `${s.migration.tag}:${s.state}`)).toEqual([
      '0000_a:applied',
      '0001_b:pending',
      '0002_c:applied',
    ]);
  });

  it('reports rows that match no journal entry, and uses each row once', () => {
    const dup = [m(0, '0000_a', 100, 'same'), m(1, '0001_b', 200, 'same')];
    const { states, unknown } = reconcile(dup, [row(1, 'same', null), row(7, 'other', 999)]);
    expect(states.map((s) => s.state)).toEqual(['applied', 'pending']);
    expect(unknown).toEqual([row(7, 'other', 999)]);
  });
});

describe('resolveTarget', () => {
  it('takes a tag, a tag with .sql, or its number', () => {
    expect(resolveTarget(local, '0001_b')?.tag).toBe('0001_b');
    expect(resolveTarget(local, '0001_b.sql')?.tag).toBe('0001_b');
    expect(resolveTarget(local, '0002')?.tag).toBe('0002_c');
    expect(resolveTarget(local, undefined)).toBeUndefined();
  });

  it('refuses an unknown tag with a usage error that lists the tags', () => {
    expect(() => resolveTarget(local, '0009')).toThrowError(
      expect.objectContaining({ exitCode: 2, hint: 'Use one of: 0000_a, 0001_b, 0002_c.' }),
    );
  });
});

describe('statements and markers', () => {
  it('drops chunks that hold only comments or white space', () => {
    expect(splitStatements(['-- only a comment\n', '  \n', 'SELECT 1;\n-- trailing', '\n'])).toEqual([
      'SELECT 1;\n-- trailing',
    ]);
  });

  it('reads the phase and no-transaction directives from the leading comment lines, and refuses unknown ones', () => {
    const both = directivesOf(['-- migrator: post-deploy\n-- migrator: no-transaction\n-- why\nSELECT 1'], 'x.sql');
    expect([...both].sort()).toEqual(['no-transaction', 'post-deploy']);
    expect(directivesOf(['-- why\nSELECT 1;\n-- migrator: post-deploy'], 'x.sql').size).toBe(0);
    expect(() => directivesOf(['-- migrator: post-deploi\nSELECT 1'], 'x.sql')).toThrowError(
      expect.objectContaining({
        name: 'MigrationFileError',
        message: expect.stringContaining('x.sql has an unknown directive'),
      }),
    );
  });

  it('refuses a migration with an unknown directive as a usage error (exit 2), before anything runs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-directive-'));
    try {
      fs.mkdirSync(path.join(dir, 'meta'));
      fs.writeFileSync(
        path.join(dir, 'meta', '_journal.json'),
        JSON.stringify({ entries: [{ idx: 0, version: '7', when: 1, tag: '0000_x', breakpoints: true }] }),
      );
      fs.writeFileSync(path.join(dir, '0000_x.sql'), '-- why\n-- migrator: post-deploi\nSELECT 1;\n');
      expect(() => loadMigrations(dir)).toThrowError(
        expect.objectContaining({
          exitCode: 2,
          kind: 'usage',
          message: '0000_x.sql has an unknown directive "-- migrator: post-deploi"',
        }),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the no-transaction marker from the leading comments only', () => {
    expect(isTransactional(['-- migrator: no-transaction\nSELECT 1'])).toBe(false);
    expect(isTransactional(['  --migrator:  no-transaction  (why)\n'])).toBe(false);
    expect(isTransactional(['SELECT 1; -- migrator: no-transaction'])).toBe(true);
    expect(isTransactional([])).toBe(true);
  });

  it("loads @gym/db's journal in order, with drizzle's sha256 per file", () => {
    const migrations = loadMigrations(migrationsFolder);
    expect(migrations.length).toBeGreaterThanOrEqual(4);
    expect(migrations.map((x) => x.idx)).toEqual(migrations.map((_, i) => i));
    for (const x of migrations) expect(x.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(migrations[0]!.tag).toBe('0000_baseline');
    expect(migrations.some((x) => x.phase === 'post-deploy')).toBe(true);
  });
});
