// Issue 19's corpus, first half: indexes, foreign keys, CHECKs, UNIQUE, and new columns (with a constant
// default, a volatile one, or none and --backfill). The cases run on a copy of the schema and migrations,
// never on packages/db's own (harness/corpus.ts).
import { describeCorpus } from './harness/corpus-suite';

const ts = 'training-sessions.ts';
const columnsEnd = "    sessionType: text('session_type'),";
const indexesStart = "    index('idx_training_sessions_trainer_id').on(t.trainerId),";

describeCorpus('indexes, constraints, new columns', [
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
]);
