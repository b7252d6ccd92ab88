// Issue 19's corpus, second half: NOT NULL on an existing column, drops (a column, a table), a type change
// that needs no rewrite, a new enum value, a new table, the probe mixed with more, and each refusal.
import { describeCorpus } from './harness/corpus-suite';

const ts = 'training-sessions.ts';
const columnsEnd = "    sessionType: text('session_type'),";
const indexesStart = "    index('idx_training_sessions_trainer_id').on(t.trainerId),";

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

describeCorpus(
  'NOT NULL, drops, types, enums, tables, a mix',
  [
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
  ],
  [
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
  ],
);
