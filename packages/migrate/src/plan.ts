import { type MigrationFile, MigrationFileError, type Phase, phaseOf, readMigrationFolder } from '@gym/db/migrations';
import { UsageError } from './errors.js';
import type { AppliedRow } from './state.js';

export type { Phase } from '@gym/db/migrations';

export interface LocalMigration {
  idx: number;
  tag: string;
  /** The journal's `when`, which Drizzle stores as created_at. */
  when: number;
  /** sha256 of the whole file, as Drizzle computes it. */
  hash: string;
  statements: string[];
  transactional: boolean;
  phase: Phase;
  /** Marked `-- migrator: security-baseline`: the security check applies once this one is applied. */
  securityBaseline?: boolean;
}

export type MigrationState =
  | { migration: LocalMigration; state: 'pending' }
  | { migration: LocalMigration; state: 'applied' | 'edited'; row: AppliedRow };

/**
 * The journal, files and hashes (@gym/db's migration file format), with what each file's directives mean
 * for a run. A file that breaks the format is a usage error: nothing was touched.
 */
export function loadMigrations(migrationsFolder: string): LocalMigration[] {
  let files: MigrationFile[];
  try {
    files = readMigrationFolder(migrationsFolder);
  } catch (err) {
    if (err instanceof MigrationFileError) throw new UsageError(err.message, err.hint);
    throw err;
  }
  return files.map((file) => ({
    idx: file.idx,
    tag: file.tag,
    when: file.when,
    hash: file.hash,
    statements: file.statements,
    transactional: !file.directives.has('no-transaction'),
    phase: phaseOf(file.directives),
    securityBaseline: file.directives.has('security-baseline'),
  }));
}

/**
 * Matches what the database records against the journal by identity: a row belongs to the migration whose
 * `when` it stores (Drizzle's own key), or failing that whose hash it stores. Nothing is decided by "newer
 * than the newest applied", so a migration merged late is pending, not skipped (drizzle-orm #5769).
 */
export function reconcile(
  local: LocalMigration[],
  applied: AppliedRow[],
): { states: MigrationState[]; unknown: AppliedRow[] } {
  const unmatched = new Set(applied);
  const states = local.map((migration): MigrationState => {
    const row =
      applied.find((r) => unmatched.has(r) && r.createdAt === migration.when) ??
      applied.find((r) => unmatched.has(r) && r.hash === migration.hash);
    if (!row) return { migration, state: 'pending' };
    unmatched.delete(row);
    return { migration, state: row.hash === migration.hash ? 'applied' : 'edited', row };
  });
  return { states, unknown: [...unmatched] };
}

/** --to accepts a journal tag ("0001_machines"), or its number ("0001"). */
export function resolveTarget(local: LocalMigration[], to: string | undefined): LocalMigration | undefined {
  if (to === undefined) return undefined;
  const wanted = to.replace(/\.sql$/, '');
  const hit =
    local.find((m) => m.tag === wanted) ??
    (/^\d+$/.test(wanted) ? local.find((m) => m.tag.startsWith(`${wanted}_`)) : undefined);
  if (!hit) {
    throw new UsageError(`unknown migration "${to}" for --to`, `Use one of: ${local.map((m) => m.tag).join(', ')}.`);
  }
  return hit;
}

export interface MigratePlan {
  /** What this run applies, in journal order. */
  apply: LocalMigration[];
  /** --pre-deploy: the pending post-deploy migrations it leaves for the plain migrate after the rollout. */
  heldBack: LocalMigration[];
  /** --pre-deploy: pending pre-deploy migrations that come after a held-back one, and so wait for it too. */
  waiting: LocalMigration[];
}

/**
 * What a migrate runs: every pending migration up to --to, in journal order. --pre-deploy stops at the
 * first pending post-deploy migration: one written after a contract step may rely on it (0005 to 0007 did
 * on 0004), so applying it first would leave a schema that no plain migrate ever builds. Every run thus
 * applies a prefix of the pending migrations in journal order, and every deploy order the migrator allows
 * ends with the same catalog.
 */
export function planMigrate(
  states: MigrationState[],
  target: LocalMigration | undefined,
  preDeploy: boolean,
): MigratePlan {
  const wanted = states
    .filter((s) => s.state === 'pending' && (!target || s.migration.idx <= target.idx))
    .map((s) => s.migration);
  const stop = preDeploy ? wanted.findIndex((m) => m.phase === 'post-deploy') : -1;
  if (stop < 0) return { apply: wanted, heldBack: [], waiting: [] };
  const rest = wanted.slice(stop);
  return {
    apply: wanted.slice(0, stop),
    heldBack: rest.filter((m) => m.phase === 'post-deploy'),
    waiting: rest.filter((m) => m.phase === 'pre-deploy'),
  };
}

/**
 * Whether the database is held to the security policy once `applied` (journal indexes) are applied: the
 * security baseline migration is among them.
 */
export function atSecurityBaseline(local: LocalMigration[], applied: Set<number>): boolean {
  return local.some((m) => m.securityBaseline && applied.has(m.idx));
}

/** The journal indexes of the migrations applied in `states`. */
export function appliedSet(states: MigrationState[]): Set<number> {
  return new Set(states.filter((s) => s.state !== 'pending').map((s) => s.migration.idx));
}
