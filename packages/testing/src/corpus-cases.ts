/**
 * The cases of issue 19's corpus: each edits a copy of the schema (corpus.ts). The corpus suites
 * (generate-corpus-*.test.ts, through corpus-suite.ts) prove them; the bench (bench/modes/generate.ts) measures
 * the same changes at 1M rows against drizzle-kit's own SQL. Kept here, apart from vitest, so both import them.
 */
import type { AppShape, Workspace } from './corpus';

const ts = 'training-sessions.ts';
const columnsEnd = "    sessionType: text('session_type'),";
const indexesStart = "    index('idx_training_sessions_trainer_id').on(t.trainerId),";

/** One schema change of the corpus. */
export interface CorpusCase {
  name: string;
  title: string;
  edit(ws: Workspace): void;
  /** Extra gym-generate arguments (--backfill). */
  args?: string[];
  /** The phases of the files gym-generate should write, in order. */
  phases: ('pre-deploy' | 'post-deploy')[];
  /** Rewrites the files' headers must name. */
  rewrites: string[];
  /**
   * Key columns nullable before a new PRIMARY KEY: the files must make each NOT NULL through the CHECK before
   * USING INDEX (which would otherwise run SET NOT NULL, a scan under ACCESS EXCLUSIVE).
   */
  nullableKey?: string[];
  /** The app before the deploy (old) and after it (new). */
  oldApp?: Partial<AppShape>;
  newApp?: Partial<AppShape>;
}

/** A change gym-generate must refuse: exit 3, one line per refused statement, nothing written. */
export interface RefusalCase {
  name: string;
  title: string;
  edit(ws: Workspace): void;
  /** Each refusal line must match one of these, in any order, and there must be as many lines. */
  refused: RegExp[];
}

const checkins = 'session-checkins.ts';
const checkinsIndex = "    index('session_checkins_session_id_idx').on(t.sessionId),";

/**
 * A table without a primary key, for the cases that give it one: one check-in per loaded session, seq
 * nullable but filled (loadCorpusRows), which the app reads and writes (CorpusApp).
 */
const sessionCheckins = `import { sql } from 'drizzle-orm';
import { index, integer, pgPolicy, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { authenticatedRole, isAdmin } from './auth.js';
import { trainingSessions } from './training-sessions.js';

export const sessionCheckins = pgTable(
  'session_checkins',
  {
    sessionId: uuid('session_id')
      .notNull()
      .references(() => trainingSessions.id, { onDelete: 'cascade' }),
    seq: integer('seq'),
    checkedInAt: timestamp('checked_in_at', { withTimezone: true }).notNull().default(sql\`now()\`),
  },
  (t) => [
${checkinsIndex}
    pgPolicy('session_checkins_admin_all', { for: 'all', to: authenticatedRole, using: isAdmin, withCheck: isAdmin }),
  ],
).enableRLS();
`;

/**
 * The base every case starts from: the real schema plus an enum column and a varchar column to change, and a
 * table without a primary key (session_checkins).
 */
export function baseEdit(ws: Workspace): void {
  ws.write(checkins, sessionCheckins);
  ws.edit(
    'index.ts',
    "export * from './session-machine-moves.js';",
    "export * from './session-machine-moves.js';\nexport * from './session-checkins.js';",
  );
  ws.edit(
    'training-sessions.ts',
    "import { check, index, integer, pgPolicy, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';",
    "import { check, index, integer, pgEnum, pgPolicy, pgTable, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';\n\nexport const sessionIntensity = pgEnum('session_intensity', ['easy', 'moderate', 'hard']);",
  );
  ws.edit(
    'training-sessions.ts',
    "    sessionType: text('session_type'),",
    "    sessionType: text('session_type'),\n    intensity: sessionIntensity('intensity'),\n    roomCode: varchar('room_code', { length: 20 }),",
  );
}

const sessionNotes = `import { sql } from 'drizzle-orm';
import { index, pgPolicy, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { authenticatedRole, isAdmin } from './auth.js';
import { trainingSessions } from './training-sessions.js';

export const sessionNotes = pgTable(
  'session_notes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => trainingSessions.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql\`now()\`),
  },
  (t) => [
    index('session_notes_session_id_idx').on(t.sessionId),
    pgPolicy('session_notes_admin_all', { for: 'all', to: authenticatedRole, using: isAdmin, withCheck: isAdmin }),
  ],
).enableRLS();
`;

/**
 * Indexes, foreign keys, CHECKs, UNIQUE, PRIMARY KEY (over NOT NULL columns, and over a nullable one), and new
 * columns (with a constant default, a volatile one, or none and --backfill).
 */
export const CORPUS_CASES_A: CorpusCase[] = [
  {
    name: 'notes_index',
    title: 'an index on an existing table is built concurrently',
    edit: (ws) => ws.edit(ts, indexesStart, `${indexesStart}\n    index('training_sessions_notes_idx').on(t.notes),`),
    phases: ['pre-deploy'],
    rewrites: ['index built concurrently'],
  },
  {
    name: 'coach_fk',
    title: 'a foreign key is added NOT VALID, then validated',
    edit: (ws) =>
      ws.edit(ts, columnsEnd, `${columnsEnd}\n    coachId: uuid('coach_id').references(() => trainers.id),`),
    phases: ['pre-deploy'],
    rewrites: ['NOT VALID, then VALIDATE'],
  },
  {
    name: 'notes_check',
    title: 'a CHECK is added NOT VALID, then validated',
    edit: (ws) =>
      ws.edit(
        ts,
        indexesStart,
        `${indexesStart}\n    check('training_sessions_notes_length_check', sql\`length(\${t.notes}) < 500\`),`,
      ),
    phases: ['pre-deploy'],
    rewrites: ['NOT VALID, then VALIDATE'],
  },
  {
    name: 'slot_unique',
    title: 'a UNIQUE constraint takes over a unique index built concurrently',
    edit: (ws) => {
      ws.edit(ts, 'import { check, index,', 'import { check, index, unique,');
      ws.edit(
        ts,
        indexesStart,
        `${indexesStart}\n    unique('training_sessions_machine_start_unique').on(t.machineId, t.scheduledStart),`,
      );
    },
    phases: ['pre-deploy'],
    rewrites: ['UNIQUE through a concurrent index'],
  },
  {
    name: 'checkins_pkey',
    title: 'a PRIMARY KEY on a loaded table without one, over NOT NULL columns: a concurrent unique index, USING INDEX',
    edit: (ws) => {
      ws.edit(checkins, 'import { index, integer,', 'import { index, integer, primaryKey,');
      ws.edit(
        checkins,
        checkinsIndex,
        `    primaryKey({ name: 'session_checkins_pkey', columns: [t.sessionId, t.checkedInAt] }),\n${checkinsIndex}`,
      );
    },
    phases: ['pre-deploy'],
    rewrites: ['PRIMARY KEY through a concurrent index'],
  },
  {
    name: 'checkins_seq_pkey',
    title:
      'a PRIMARY KEY over a nullable column: NOT NULL through a validated CHECK first (no scan under ACCESS EXCLUSIVE), then USING INDEX, after the deploy',
    edit: (ws) => {
      ws.edit(checkins, 'import { index, integer,', 'import { index, integer, primaryKey,');
      ws.edit(
        checkins,
        checkinsIndex,
        `    primaryKey({ name: 'session_checkins_pkey', columns: [t.sessionId, t.seq] }),\n${checkinsIndex}`,
      );
    },
    phases: ['post-deploy'],
    rewrites: ['PRIMARY KEY through a concurrent index'],
    nullableKey: ['seq'],
  },
  {
    name: 'priority_backfill',
    title: 'a NOT NULL column without a default: added nullable, backfilled in batches, NOT NULL after the deploy',
    edit: (ws) => {
      ws.edit(ts, 'import { check, index,', 'import { bigint, check, index,');
      ws.edit(ts, columnsEnd, `${columnsEnd}\n    priority: bigint('priority', { mode: 'number' }).notNull(),`);
    },
    args: ['--backfill', "training_sessions.priority=CASE WHEN status = 'cancelled' THEN 0 ELSE 1 END"],
    phases: ['pre-deploy', 'post-deploy'],
    rewrites: ['added nullable, then backfilled in batches', 'NOT NULL through a validated CHECK'],
    newApp: { inserts: { priority: '2' } },
  },
  {
    name: 'public_id',
    title: 'a NOT NULL column with a volatile default: added nullable, default set, backfilled, then NOT NULL',
    edit: (ws) => ws.edit(ts, columnsEnd, `${columnsEnd}\n    publicId: uuid('public_id').notNull().defaultRandom(),`),
    phases: ['pre-deploy', 'post-deploy'],
    rewrites: ['added nullable, then backfilled in batches', 'NOT NULL through a validated CHECK'],
  },
  {
    name: 'session_kind',
    title: 'a NOT NULL column with a constant default, as drizzle-kit wrote it (catalog only)',
    edit: (ws) => ws.edit(ts, columnsEnd, `${columnsEnd}\n    kind: text('kind').notNull().default('standard'),`),
    phases: ['pre-deploy'],
    rewrites: [],
  },
];

/**
 * NOT NULL on an existing column, drops (a column, a table), a type change that needs no rewrite, a new enum
 * value, a new table, the probe mixed with more.
 */
export const CORPUS_CASES_B: CorpusCase[] = [
  {
    name: 'status_not_null',
    title: 'SET NOT NULL on an existing column through CHECK NOT VALID, VALIDATE, after the deploy',
    edit: (ws) =>
      ws.edit(
        ts,
        "status: text('status', { enum: sessionStatuses }).default('scheduled'),",
        "status: text('status', { enum: sessionStatuses }).default('scheduled').notNull(),",
      ),
    phases: ['post-deploy'],
    rewrites: ['NOT NULL through a validated CHECK'],
  },
  {
    name: 'drop_room_code',
    title: 'a dropped column is archived, dropped after the deploy, and restored exactly by the rollback',
    edit: (ws) => ws.edit(ts, "    roomCode: varchar('room_code', { length: 20 }),\n", ''),
    phases: ['post-deploy'],
    rewrites: ['column archived, then dropped after the deploy'],
    oldApp: { reads: ['room_code'] },
  },
  {
    name: 'drop_moves',
    title: 'a dropped table is moved to gym_migrations after the deploy, and moved back by the rollback',
    edit: (ws) => ws.edit('index.ts', "export * from './session-machine-moves.js';\n", ''),
    phases: ['post-deploy'],
    rewrites: ['table archived, not dropped'],
  },
  {
    name: 'room_code_text',
    title: 'varchar(20) to text needs no rewrite: as drizzle-kit wrote it',
    edit: (ws) => ws.edit(ts, "roomCode: varchar('room_code', { length: 20 }),", "roomCode: text('room_code'),"),
    phases: ['pre-deploy'],
    rewrites: ['as written'],
  },
  {
    name: 'intensity_extreme',
    title: 'a new enum value commits in its own step before the column default that uses it',
    edit: (ws) => {
      ws.edit(ts, "['easy', 'moderate', 'hard']", "['easy', 'moderate', 'hard', 'extreme']");
      ws.edit(
        ts,
        columnsEnd,
        `${columnsEnd}\n    peakIntensity: sessionIntensity('peak_intensity').notNull().default('extreme'),`,
      );
    },
    phases: ['pre-deploy'],
    rewrites: ['enum value in its own step'],
  },
  {
    name: 'session_notes',
    title: 'a new table, its FK, index and policy as drizzle-kit wrote them, anon revoked',
    edit: (ws) => {
      ws.write('session-notes.ts', sessionNotes);
      ws.edit(
        'index.ts',
        "export * from './session-machine-moves.js';",
        "export * from './session-machine-moves.js';\nexport * from './session-notes.js';",
      );
    },
    phases: ['pre-deploy'],
    rewrites: ['anon revoked on a new table'],
  },
  {
    name: 'probe_mix',
    title: "the issue's probe (a NOT NULL column with a FK, and an index) with a CHECK and a dropped column",
    edit: (ws) => {
      ws.edit(ts, columnsEnd, `${columnsEnd}\n    roomId: uuid('room_id').notNull().references(() => machines.id),`);
      ws.edit(
        ts,
        indexesStart,
        `${indexesStart}\n    index('training_sessions_room_id_idx').on(t.roomId),\n    check('training_sessions_room_code_check', sql\`\${t.roomCode} <> ''\`),`,
      );
      ws.edit(ts, "    intensity: sessionIntensity('intensity'),\n", '');
    },
    args: ['--backfill', 'training_sessions.room_id=machine_id', '--not-renamed'],
    phases: ['pre-deploy', 'post-deploy'],
    rewrites: [
      'added nullable, then backfilled in batches',
      'NOT VALID, then VALIDATE',
      'index built concurrently',
      'NOT NULL through a validated CHECK',
      'column archived, then dropped after the deploy',
    ],
    oldApp: { reads: ['intensity'] },
    newApp: { inserts: { room_id: '$1' } },
  },
];

/** What gym-generate must refuse. */
export const CORPUS_REFUSALS: RefusalCase[] = [
  {
    name: 'no_backfill',
    title: 'a NOT NULL column with neither a default nor --backfill',
    edit: (ws) => ws.edit(ts, columnsEnd, `${columnsEnd}\n    rank: integer('rank').notNull(),`),
    refused: [/ADD COLUMN "rank" integer NOT NULL.*--backfill training_sessions\.rank=/],
  },
  {
    name: 'rename_notes',
    title: 'a rename (or a drop beside an add), with the expand/contract recipe',
    edit: (ws) => ws.edit(ts, "notes: text('notes'),", "notes: text('remarks'),"),
    refused: [/column notes gone and remarks new.*--not-renamed.*expand\/contract/],
  },
  {
    name: 'bigint_count',
    title: 'a type change that rewrites the table',
    edit: (ws) => {
      ws.edit(ts, 'import { check, index,', 'import { bigint, check, index,');
      ws.edit(
        ts,
        "currentParticipants: integer('current_participants').default(0),",
        "currentParticipants: bigint('current_participants', { mode: 'number' }).default(0),",
      );
    },
    refused: [/SET DATA TYPE bigint.*rewrites or scans.*expand\/contract/],
  },
  {
    name: 'enum_value_removed',
    title: 'an enum value removed',
    edit: (ws) => ws.edit(ts, "['easy', 'moderate', 'hard']", "['easy', 'moderate']"),
    refused: [/values hard removed/],
  },
  {
    name: 'table_without_rls',
    title: 'a new table in public without row-level security (Supabase serves it)',
    edit: (ws) => {
      ws.write(
        'open-table.ts',
        "import { pgTable, text, uuid } from 'drizzle-orm/pg-core';\nexport const openTable = pgTable('open_table', { id: uuid('id').primaryKey().defaultRandom(), body: text('body') });\n",
      );
      ws.edit(
        'index.ts',
        "export * from './views.js';",
        "export * from './views.js';\nexport * from './open-table.js';",
      );
    },
    refused: [/open_table would have row-level security off.*\.enableRLS\(\)/],
  },
];

/** Every change the corpus applies (the refusals write nothing), in the suites' order. */
export const CORPUS_CASES: CorpusCase[] = [...CORPUS_CASES_A, ...CORPUS_CASES_B];
