import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrationsFolder } from '@gym/db/migrations';

export interface MigrationsCopy {
  /** A drizzle-kit migrations folder (with meta/ and rollback/) to pass as --migrations. */
  dir: string;
  file(tag: string): string;
  rollbackFile(tag: string): string;
  /** Appends text to an applied migration: its sha256 changes, as with an edit after deploy. */
  edit(tag: string, append: string): void;
  /** Adds a migration to the journal (after the existing entries, as a merge would) with its SQL and rollback. */
  addMigration(entry: { tag: string; when: number; sql: string; rollbackSql: string }): void;
  /** Keeps only the first `count` journal entries, as on a branch that predates the later migrations. */
  truncate(count: number): void;
  /**
   * Keeps only these journal entries, in this order: a database migrated with the copy has applied the same
   * files (same hashes and `when`s) in that order, as an earlier migrator may have applied them.
   */
  reorder(tags: string[]): void;
  remove(): void;
}

/** A private copy of @gym/db's migrations folder, for tests that edit it. */
export function copyMigrations(): MigrationsCopy {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gym-migrations-'));
  fs.cpSync(migrationsFolder, dir, { recursive: true });
  const journalPath = path.join(dir, 'meta', '_journal.json');
  return {
    dir,
    file: (tag) => path.join(dir, `${tag}.sql`),
    rollbackFile: (tag) => path.join(dir, 'rollback', `${tag}.sql`),
    edit(tag, append) {
      fs.appendFileSync(path.join(dir, `${tag}.sql`), append);
    },
    addMigration({ tag, when, sql, rollbackSql }) {
      const journal = JSON.parse(fs.readFileSync(journalPath, 'utf8')) as {
        entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
      };
      journal.entries.push({ idx: journal.entries.length, version: '7', when, tag, breakpoints: true });
      fs.writeFileSync(journalPath, JSON.stringify(journal, null, 2));
      fs.writeFileSync(path.join(dir, `${tag}.sql`), sql);
      fs.writeFileSync(path.join(dir, 'rollback', `${tag}.sql`), rollbackSql);
    },
    truncate(count) {
      const journal = JSON.parse(fs.readFileSync(journalPath, 'utf8')) as { entries: unknown[] };
      journal.entries = journal.entries.slice(0, count);
      fs.writeFileSync(journalPath, JSON.stringify(journal, null, 2));
    },
    reorder(tags) {
      const journal = JSON.parse(fs.readFileSync(journalPath, 'utf8')) as { entries: { tag: string; idx: number }[] };
      journal.entries = tags.map((tag, idx) => {
        const entry = journal.entries.find((e) => e.tag === tag);
        if (!entry) throw new Error(`no journal entry ${tag}`);
        return { ...entry, idx };
      });
      fs.writeFileSync(journalPath, JSON.stringify(journal, null, 2));
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The journal's `when` of a tag in @gym/db's migrations. */
export function journalWhen(tag: string): number {
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string; when: number }[];
  };
  const entry = journal.entries.find((e) => e.tag === tag);
  if (!entry) throw new Error(`no journal entry ${tag}`);
  return entry.when;
}
