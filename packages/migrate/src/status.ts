import { securityPolicy as defaultSecurityPolicy } from '@gym/db/migrations';
import { appliedSet, atSecurityBaseline, type Phase } from './plan.js';
import { checkSecurity, type SecurityFinding } from './security.js';
import { type RunOptions, withSession } from './session.js';
import type { AppliedRow } from './state.js';

export interface StatusRow {
  tag: string;
  phase: Phase;
  state: 'applied' | 'pending' | 'edited';
  appliedAt: Date | null;
}

/**
 * Every migration in the journal with its state; edited ones are marked, not refused. Takes no lock. Once
 * the security baseline is applied, also what the security check finds (null before it).
 */
export async function status(
  opts: RunOptions,
): Promise<{ rows: StatusRow[]; unknown: AppliedRow[]; security: SecurityFinding[] | null }> {
  return withSession(opts, false, async ({ client, local, states, unknown }) => ({
    rows: states.map((s) => ({
      tag: s.migration.tag,
      phase: s.migration.phase,
      state: s.state,
      appliedAt: s.state === 'pending' ? null : s.row.appliedAt,
    })),
    unknown,
    security: atSecurityBaseline(local, appliedSet(states))
      ? await checkSecurity(client, opts.securityPolicy ?? defaultSecurityPolicy)
      : null,
  }));
}
