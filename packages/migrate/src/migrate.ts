import { applyMigration } from './apply.js';
import { appliedSet, atSecurityBaseline, type LocalMigration, planMigrate } from './plan.js';
import { checkStop, type RunOptions, withSession } from './session.js';
import { ensureMigrationsTable, recordApplied, refuseEdited } from './state.js';

/**
 * Applies the pending migrations that planMigrate chooses, in journal order, each in its own transaction (or
 * statement by statement, when it says no-transaction), under the migration lock; the security gate checks
 * every step once the database is held to the policy.
 */
export async function migrate(opts: RunOptions): Promise<{ applied: string[]; heldBack: string[]; waiting: string[] }> {
  const started = Date.now();
  return withSession(opts, true, async ({ client, target, local, states, reporter, settings, gate }) => {
    refuseEdited(states);
    const plan = planMigrate(states, target, !!opts.preDeploy);
    const pending = plan.apply;
    const heldBackTags = plan.heldBack.map((m) => m.tag);
    const waitingTags = plan.waiting.map((m) => m.tag);
    const applied = states.filter((s) => s.state !== 'pending');
    const newest = applied.reduce<LocalMigration | undefined>(
      (a, s) => (!a || s.migration.when > a.when ? s.migration : a),
      undefined,
    );
    for (const m of pending) {
      if (newest && m.when < newest.when) reporter({ event: 'out_of_order', tag: m.tag, newestApplied: newest.tag });
    }
    reporter({
      event: 'plan',
      command: 'migrate',
      step: opts.preDeploy ? 'pre-deploy' : 'all',
      tags: pending.map((m) => m.tag),
      migrations: pending.map((m) => ({ tag: m.tag, phase: m.phase })),
      heldBack: heldBackTags,
      waiting: waitingTags,
      dryRun: !!opts.dryRun,
    });
    const result = { heldBack: heldBackTags, waiting: waitingTags };
    if (opts.dryRun) return { applied: [], ...result };
    const done: string[] = [];
    const appliedIdx = appliedSet(states);
    await gate.begin(client, atSecurityBaseline(local, appliedIdx));
    if (pending.length === 0) {
      reporter({ event: 'nothing_to_do', command: 'migrate', heldBack: heldBackTags, waiting: waitingTags });
    } else {
      checkStop(
        opts.signal,
        [],
        pending.map((p) => p.tag),
      );
      await ensureMigrationsTable(client);
      for (const [i, m] of pending.entries()) {
        checkStop(
          opts.signal,
          done,
          pending.slice(i).map((p) => p.tag),
        );
        appliedIdx.add(m.idx);
        await applyMigration(
          client,
          {
            tag: m.tag,
            direction: 'up',
            phase: m.phase,
            statements: m.statements,
            transactional: m.transactional,
            record: (c) => recordApplied(c, m),
            verify: gate.step(m.tag, 'up', m.transactional, atSecurityBaseline(local, appliedIdx)),
          },
          settings,
        );
        done.push(m.tag);
      }
    }
    await gate.end(client, atSecurityBaseline(local, appliedIdx));
    reporter({ event: 'done', command: 'migrate', applied: done, ...result, durationMs: Date.now() - started });
    return { applied: done, ...result };
  });
}
