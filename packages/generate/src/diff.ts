import fs from 'node:fs';
import path from 'node:path';
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import { type GenerateConfig, importModule } from './config.js';
import { FailedError, UsageError } from './errors.js';
import type { Snapshot } from './snapshot.js';

export interface JournalEntry {
  idx: number;
  version: string;
  when: number;
  tag: string;
  breakpoints: boolean;
}

export interface Journal {
  version: string;
  dialect: string;
  entries: JournalEntry[];
}

/** The out folder as drizzle-kit keeps it: the journal, and the snapshot of its last entry (prev). */
export interface History {
  journal: Journal;
  prev: Snapshot;
}

// drizzle-kit's snapshot of an empty schema, as it diffs a first migration against.
function emptySnapshot(): Snapshot {
  return {
    id: '00000000-0000-0000-0000-000000000000',
    prevId: '',
    version: '7',
    dialect: 'postgresql',
    tables: {},
    enums: {},
    schemas: {},
    views: {},
    sequences: {},
    roles: {},
    policies: {},
    _meta: { columns: {}, schemas: {}, tables: {} },
  };
}

export function snapshotFile(out: string, idx: number): string {
  return path.join(out, 'meta', `${String(idx).padStart(4, '0')}_snapshot.json`);
}

export function readHistory(out: string): History {
  const journalFile = path.join(out, 'meta', '_journal.json');
  if (!fs.existsSync(journalFile)) {
    return { journal: { version: '7', dialect: 'postgresql', entries: [] }, prev: emptySnapshot() };
  }
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as Journal;
  const last = journal.entries.at(-1);
  if (!last) return { journal, prev: emptySnapshot() };
  const file = snapshotFile(out, last.idx);
  if (!fs.existsSync(file)) {
    throw new UsageError(
      `the journal's last migration ${last.tag} has no snapshot (${file})`,
      'Restore the snapshot from version control; drizzle-kit needs it to diff the schema.',
    );
  }
  return { journal, prev: JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot };
}

/** The schema as drizzle-kit serialises it for `generate`: every export of every schema file. */
export async function currentSnapshot(config: GenerateConfig, prevId: string): Promise<Snapshot> {
  const exports: Record<string, unknown> = {};
  for (const file of config.schemaFiles) {
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(file);
    } catch (err) {
      throw new UsageError(
        `cannot load the schema file ${file}: ${(err as Error).message.split('\n')[0]}`,
        'Fix the schema so that it compiles.',
        { cause: err },
      );
    }
    // A schema file compiled as CommonJS (no "type": "module" beside it) comes back as its module.exports.
    const all =
      Object.keys(mod).length === 1 && mod.default && typeof mod.default === 'object'
        ? (mod.default as Record<string, unknown>)
        : mod;
    for (const [name, value] of Object.entries(all)) exports[`${path.basename(file)}:${name}`] = value;
  }
  // generateDrizzleJson is drizzle-kit's own serializer (the one `generate` runs), exposed by its API.
  const json = generateDrizzleJson(exports, prevId, undefined, config.casing) as unknown as Snapshot;
  const { id, prevId: prev, ...rest } = json;
  return { id, prevId: prev, ...rest } as Snapshot;
}

/**
 * drizzle-kit's SQL for going from one snapshot to another, through its API. Callers only pass pairs where
 * nothing of a kind is dropped beside something of the same kind added, so its rename prompts never run.
 */
export async function drizzleSql(from: Snapshot, to: Snapshot): Promise<string[]> {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: drizzle-kit types its snapshots with zod; ours are read loosely
    return await generateMigration(from as any, to as any);
  } catch (err) {
    throw new FailedError(
      `drizzle-kit could not diff the schema: ${(err as Error).message.split('\n')[0]}`,
      'Check that drizzle-kit generate works with this config.',
      { cause: err },
    );
  }
}
