import fs from 'node:fs';
import path from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { type Directive, directivesOf } from './directives.js';
import { chunksOf, splitStatements } from './statements.js';

export interface MigrationFile {
  idx: number;
  tag: string;
  /** The journal's `when`, which Drizzle stores as created_at. */
  when: number;
  /** sha256 of the whole file, as Drizzle computes it. */
  hash: string;
  statements: string[];
  directives: Set<Directive>;
}

/** The journal, files and hashes of a drizzle-kit `out` folder, read with drizzle-orm's own readMigrationFiles. */
export function readMigrationFolder(migrationsFolder: string): MigrationFile[] {
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { idx: number; tag: string; when: number }[];
  };
  const files = readMigrationFiles({ migrationsFolder });
  return journal.entries.map((entry, i) => {
    const file = files[i]!;
    return {
      idx: entry.idx,
      tag: entry.tag,
      when: entry.when,
      hash: file.hash,
      statements: splitStatements(file.sql),
      directives: directivesOf(file.sql, `${entry.tag}.sql`),
    };
  });
}

export interface RollbackFile {
  /** Where it is, for messages. */
  file: string;
  statements: string[];
  directives: Set<Directive>;
}

/** The rollback of `tag` in `folder` (<folder>/<tag>.sql), or undefined when there is none. */
export function readRollbackFile(folder: string, tag: string): RollbackFile | undefined {
  const file = path.join(folder, `${tag}.sql`);
  if (!fs.existsSync(file)) return undefined;
  const chunks = chunksOf(fs.readFileSync(file, 'utf8'));
  return { file, statements: splitStatements(chunks), directives: directivesOf(chunks, `rollback/${tag}.sql`) };
}
