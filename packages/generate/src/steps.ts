/** What one statement of drizzle-kit's becomes: steps, each with the locks it takes, in a deploy phase. */
export type Phase = 'pre-deploy' | 'post-deploy';

export interface Action {
  sql: string;
  /** What it does, for the plan (--dry-run). */
  does: string;
  /** The strongest lock it takes, and on what. */
  lock: string;
  /** How long it holds that lock: catalog only, a scan that blocks nobody, committed batches... */
  holds: string;
  /** It must run outside a transaction block (CONCURRENTLY, a batch loop that commits, a new enum value). */
  noTransaction?: boolean;
}

export interface Step {
  /** drizzle-kit's statement. */
  source: string;
  /** The rewrite applied, named in the file's header ('as written' when none). */
  rewrite: string;
  /** Why, for the header comment; empty when drizzle-kit's statement is kept as written. */
  why: string;
  phase: Phase;
  actions: Action[];
  /** Runs before the phase's other steps (new enum values commit before anything uses them). */
  first?: boolean;
  /** What it archives in gym_migrations, for the rollback to restore: "schema.table" or "schema.table.column". */
  archives?: string;
}

export const LOCKS = {
  catalog: 'catalog only (milliseconds, under lock_timeout)',
  scan: 'a scan that blocks no reads or writes',
  concurrent: 'a concurrent build that blocks no reads or writes',
  batched: 'committed batches of ~20 ms each',
} as const;
