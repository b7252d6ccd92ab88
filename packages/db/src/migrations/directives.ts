import { MigrationFileError } from './errors.js';

/**
 * A migration's directives are `-- migrator: <directive>` lines among the comment lines it starts with:
 * - `no-transaction`: it runs statement by statement (CONCURRENTLY, batched COMMITs);
 * - `post-deploy`: it runs after the new app is rolled out (the contract step of an expand/contract change);
 *   `migrate --pre-deploy` leaves it pending, and every migration after it in the journal waits for it;
 * - `security-baseline`: from this migration on, the database is held to the security policy: the migrator
 *   checks it after every migration and rollback step, and at the end of every run (security.ts).
 * The migrator and the migration lint both read them here, so that they never disagree about a file.
 */
// A directive may be followed by a reason on the same line: "-- migrator: no-transaction (CONCURRENTLY)".
const DIRECTIVE = /^\s*--\s*migrator:\s*([A-Za-z][\w-]*)/;
export const directiveNames = ['no-transaction', 'post-deploy', 'security-baseline'] as const;
export type Directive = (typeof directiveNames)[number];

/** Pre-deploy (expand) runs before the new app is rolled out; post-deploy (contract) once the old app is gone. */
export type Phase = 'pre-deploy' | 'post-deploy';

/**
 * The directives in the comment lines a file starts with (its first chunk, as chunksOf splits it); an
 * unknown one is refused rather than ignored.
 */
export function directivesOf(chunks: string[], file: string): Set<Directive> {
  const found = new Set<Directive>();
  for (const line of (chunks[0] ?? '').split('\n')) {
    if (!/^\s*--/.test(line)) break;
    const m = DIRECTIVE.exec(line);
    if (!m) continue;
    const d = m[1] as Directive;
    if (!directiveNames.includes(d)) {
      throw new MigrationFileError(
        `${file} has an unknown directive "-- migrator: ${m[1]}"`,
        `Use one of: ${directiveNames.map((x) => `-- migrator: ${x}`).join(', ')}.`,
      );
    }
    found.add(d);
  }
  return found;
}

export function isTransactional(chunks: string[], file = 'a migration'): boolean {
  return !directivesOf(chunks, file).has('no-transaction');
}

export function phaseOf(directives: Set<Directive>): Phase {
  return directives.has('post-deploy') ? 'post-deploy' : 'pre-deploy';
}
