import type pg from 'pg';
import { SecurityCheckError } from './errors.js';
import type { Reporter } from './events.js';
import { checkSecurity, describeFindings, newFindings, type SecurityFinding, type SecurityPolicy } from './security.js';

/**
 * Holds one run to the security policy. A database is held to it once its security-baseline migration is
 * applied; from then on no migration or rollback step may bring in a finding (one that was there before the
 * step is not the step's doing, so that a later migration can still fix it), and the run must end with none.
 */
export class SecurityGate {
  /** The findings of the database as it stands, when it is held to the policy. */
  private current: SecurityFinding[] | undefined;

  constructor(
    private readonly policy: SecurityPolicy,
    private readonly reporter: Reporter,
  ) {}

  /** The state the run starts from. */
  async begin(client: pg.Client, held: boolean): Promise<void> {
    this.current = held ? await checkSecurity(client, this.policy) : undefined;
  }

  /**
   * The verify hook of one step (apply.ts runs it before a transactional step commits, so that a throw
   * rolls the step back). `held`: whether the database is held to the policy once the step is done.
   */
  step(tag: string, direction: 'up' | 'down', transactional: boolean, held: boolean) {
    return async (client: pg.Client): Promise<void> => {
      if (!held) {
        this.current = undefined;
        return;
      }
      const after = await checkSecurity(client, this.policy);
      const fresh = newFindings(this.current ?? [], after);
      if (fresh.length > 0) {
        this.reporter({ event: 'security_findings', tag, findings: fresh });
        const verb = direction === 'up' ? 'migration' : 'rollback';
        const outcome = transactional
          ? 'so it was rolled back and changed nothing'
          : 'and it has run (it runs outside a transaction)';
        throw new SecurityCheckError(
          fresh,
          `${verb} ${tag} fails the security check, ${outcome}: ${describeFindings(fresh)}`,
          transactional
            ? 'Fix the migration so that it leaves no finding (run pnpm db:migrate --json to see every finding and its fix), then run again.'
            : 'Fix it with a new migration (the fix of each finding is in pnpm db:status --json), then run pnpm db:migrate again.',
        );
      }
      this.current = after;
    };
  }

  /** At the end of a run that leaves the database held to the policy: any finding fails the run. */
  async end(client: pg.Client, held: boolean): Promise<void> {
    if (!held) return;
    const findings = this.current ?? (await checkSecurity(client, this.policy));
    if (findings.length === 0) return;
    this.reporter({ event: 'security_findings', tag: null, findings });
    throw new SecurityCheckError(
      findings,
      `the database fails the security check: ${describeFindings(findings)}`,
      'Fix it with a new migration (pnpm db:status --json lists every finding with its fix), then run pnpm db:migrate again; whatever this run applied stays applied.',
    );
  }
}
